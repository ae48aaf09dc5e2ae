package dev.switchback.demo.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what sysbench 1.0.20 printed about one {@code run} (stdout and stderr together, in order):
 * the final statistics, the per-second reports ({@code --report-interval=1}), its {@code FATAL:}
 * lines (sysbench logs every SQL error so, the ones it then ignores too, and folds repeats into
 * {@code (last message repeated N times)}), and the per-thread reconnect counts the demo's script
 * prints (deploy/lab/sysbench/oltp_write_only_reconnecting.lua).
 *
 * <p>A run that crashed (a segmentation fault reconnecting, see that script) prints no statistics:
 * it is not {@link ClientRun#completed()}, and its transactions are summed from the per-second
 * reports.
 */
public final class SysbenchOutput {
  private static final Pattern TRANSACTIONS =
      Pattern.compile("(?m)^\\s*transactions:\\s+(\\d+)\\s");
  private static final Pattern IGNORED = Pattern.compile("(?m)^\\s*ignored errors:\\s+(\\d+)\\s");
  private static final Pattern RECONNECTS = Pattern.compile("(?m)^\\s*reconnects:\\s+(\\d+)\\s");
  private static final Pattern MAX_LATENCY =
      Pattern.compile("(?ms)^Latency \\(ms\\):.*?^\\s*max:\\s+([\\d.]+)\\s*$");
  private static final Pattern INTERVAL =
      Pattern.compile("(?m)^\\[ (\\d+)s \\] thds: \\d+ tps: ([\\d.]+) ");
  // Threads print concurrently, so two of these lines can share one line of output.
  private static final Pattern SCRIPT_RECONNECTS =
      Pattern.compile(
          "reconnecting: thread \\d+ reconnected (\\d+) times, (\\d+) connection attempts refused");
  private static final Pattern STATEMENT_ERROR = Pattern.compile("returned error (\\d+) ");
  private static final Pattern CONNECT_ERROR = Pattern.compile("^FATAL: error (\\d+): ");
  private static final Pattern REPEATED =
      Pattern.compile("^\\(last message repeated (\\d+) times\\)$");
  private static final Pattern THREAD_FAILED = Pattern.compile("thread_run' function failed");

  private SysbenchOutput() {}

  /**
   * One sysbench process's run.
   *
   * @param output what it printed (stdout and stderr)
   * @param exitCode its exit code
   * @param startMillis when the process started (the per-second reports count from there)
   */
  public static ClientRun parse(String output, int exitCode, long startMillis) {
    Matcher t = TRANSACTIONS.matcher(output);
    boolean summary = t.find();
    NavigableMap<Long, Long> completions = new TreeMap<>();
    long reported = 0;
    Matcher i = INTERVAL.matcher(output);
    while (i.find()) {
      long second = Long.parseLong(i.group(1));
      long count = Math.round(Double.parseDouble(i.group(2)));
      if (count > 0) {
        // "[ Ns ]" covers the second that ends N seconds after the start: counted at its start,
        // so what counts as after a moment did complete after it.
        completions.merge(startMillis + (second - 1) * 1000, count, Long::sum);
      }
      reported += count;
    }
    long reconnects = 0;
    long refused = 0;
    Matcher r = SCRIPT_RECONNECTS.matcher(output);
    while (r.find()) {
      reconnects += Long.parseLong(r.group(1));
      refused += Long.parseLong(r.group(2));
    }
    Map<String, Long> byCode = new TreeMap<>();
    List<String> messages = new ArrayList<>();
    long threadsFailed = 0;
    String lastCode = null;
    for (String line : output.split("\n")) {
      Matcher repeated = REPEATED.matcher(line.trim());
      if (repeated.matches()) {
        if (lastCode != null) {
          byCode.merge(lastCode, Long.parseLong(repeated.group(1)), Long::sum);
        }
        continue;
      }
      if (!line.startsWith("FATAL:")) {
        continue;
      }
      lastCode = null;
      Matcher s = STATEMENT_ERROR.matcher(line);
      Matcher c = CONNECT_ERROR.matcher(line);
      if (s.find()) {
        lastCode = s.group(1);
      } else if (c.find()) {
        lastCode = c.group(1) + " (connect)";
      } else if (THREAD_FAILED.matcher(line).find()) {
        threadsFailed++;
      }
      if (lastCode != null) {
        byCode.merge(lastCode, 1L, Long::sum);
      }
      if (messages.size() < ClientRun.MESSAGES_KEPT
          && !line.contains("unable to connect")
          && !messages.contains(line)) {
        messages.add(line);
      }
    }
    Matcher max = MAX_LATENCY.matcher(output);
    Matcher ignored = IGNORED.matcher(output);
    Matcher driverReconnects = RECONNECTS.matcher(output);
    return new ClientRun(
        "sysbench",
        List.of(exitCode),
        summary && exitCode == 0,
        summary ? Long.parseLong(t.group(1)) : reported,
        0,
        threadsFailed,
        max.find() ? Double.parseDouble(max.group(1)) : null,
        ignored.find() ? Long.parseLong(ignored.group(1)) : 0,
        reconnects + (driverReconnects.find() ? Long.parseLong(driverReconnects.group(1)) : 0),
        refused,
        byCode,
        completions,
        messages);
  }
}
