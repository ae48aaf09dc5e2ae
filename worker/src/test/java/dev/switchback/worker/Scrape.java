package dev.switchback.worker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@code /metrics} answer in Prometheus' text format, read series by series. */
record Scrape(String text, List<Series> all) {
  record Series(String name, Map<String, String> labels, double value) {}

  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static Scrape parse(String text) {
    List<Series> all = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String name = line.substring(0, brace >= 0 ? brace : line.indexOf(' '));
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0) {
        Matcher m = LABEL.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      all.add(new Series(name, labels, number(line.substring(space + 1))));
    }
    return new Scrape(text, List.copyOf(all));
  }

  private static double number(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  Set<String> names() {
    Set<String> names = new TreeSet<>();
    all.forEach(s -> names.add(s.name()));
    return names;
  }

  List<Series> series(String name) {
    return all.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The sum over the series of {@code name} whose labels have the given values (pairs). */
  double sum(String name, String... labelValues) {
    return series(name).stream()
        .filter(
            s -> {
              for (int i = 0; i < labelValues.length; i += 2) {
                if (!labelValues[i + 1].equals(s.labels().get(labelValues[i]))) {
                  return false;
                }
              }
              return true;
            })
        .mapToDouble(Series::value)
        .sum();
  }
}
