package dev.switchback.worker;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names and the label names a PromQL expression (or a Grafana {@code label_values}
 * variable query) reads, so a dashboard can be checked against what the worker serves. Not a
 * parser: enough of the grammar for the queries a dashboard holds (selectors, functions,
 * aggregations with {@code by}, set operators, {@code offset}, Grafana variables).
 */
final class PromQl {
  private PromQl() {}

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?\\w+}?");
  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern SELECTOR =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*\\{([^}]*)}");
  private static final Pattern MATCHER =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern LABEL_VALUES =
      Pattern.compile(
          "label_values\\(\\s*(([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(?:\\{[^}]*})?)\\s*,\\s*(\\w+)\\s*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "offset", "bool", "inf", "nan", "by", "without", "on");

  /** The labels an expression groups or matches by ({@code by (le, phase)}, {@code on (job)}). */
  static Set<String> groupingLabels(String expression) {
    Set<String> labels = new LinkedHashSet<>();
    Matcher m = GROUPING.matcher(expression);
    while (m.find()) {
      String list = m.group();
      for (String label : list.substring(list.indexOf('(') + 1, list.length() - 1).split(",")) {
        if (!label.isBlank()) {
          labels.add(label.trim());
        }
      }
    }
    return labels;
  }

  /** Metric name to the label names the expression matches on it (empty: a bare name). */
  static Map<String, Set<String>> metrics(String expression) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    // label_values(selector, label): the label read is the selector's, and the rest a selector.
    Matcher labelValues = LABEL_VALUES.matcher(expression);
    StringBuilder selectors = new StringBuilder();
    while (labelValues.find()) {
      out.computeIfAbsent(labelValues.group(2), k -> new LinkedHashSet<>())
          .add(labelValues.group(3));
      labelValues.appendReplacement(selectors, Matcher.quoteReplacement(labelValues.group(1)));
    }
    labelValues.appendTail(selectors);
    String e =
        STRING.matcher(VARIABLE.matcher(selectors.toString()).replaceAll("")).replaceAll("\"\"");
    Matcher selector = SELECTOR.matcher(e);
    while (selector.find()) {
      Set<String> labels = out.computeIfAbsent(selector.group(1), k -> new LinkedHashSet<>());
      Matcher m = MATCHER.matcher(selector.group(2));
      while (m.find()) {
        labels.add(m.group(1));
      }
    }
    e = e.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
    e = GROUPING.matcher(e).replaceAll(" ");
    Matcher id = IDENTIFIER.matcher(e);
    while (id.find()) {
      boolean function = id.group(2) != null;
      if (!function && !KEYWORDS.contains(id.group(1))) {
        out.computeIfAbsent(id.group(1), k -> new LinkedHashSet<>());
      }
    }
    return out;
  }
}
