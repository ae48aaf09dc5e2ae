package dev.switchback.demo.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what pgbench (PostgreSQL 15) printed and logged about one run: the summary on stdout, the
 * error lines on stderr, and the per-transaction log ({@code -l}), which pgbench writes only at a
 * normal exit.
 *
 * <p>The summary's count is the run's count; the log gives the longest transaction (its {@code
 * time} field, which under {@code -R} runs from the transaction's scheduled start, so a client held
 * by a paused PgBouncer shows its whole wait) and when transactions completed. A run whose client
 * aborted (a connection ended by the server, an error pgbench does not retry) prints {@code aborted
 * in command} for it and ends with exit code 2 after the summary, or with no summary at all.
 */
public final class PgbenchOutput {
  private static final Pattern PROCESSED =
      Pattern.compile("(?m)^number of transactions actually processed: (\\d+)");
  private static final Pattern FAILED =
      Pattern.compile("(?m)^number of failed transactions: (\\d+)");
  private static final Pattern ERROR_LINE = Pattern.compile("(?m)^pgbench: (?:error|fatal): (.*)$");
  private static final Pattern ABORTED = Pattern.compile("client \\d+ script \\d+ aborted");
  private static final Pattern KIND = Pattern.compile(":\\s+(FATAL|ERROR|PANIC):");

  private PgbenchOutput() {}

  /**
   * One pgbench process's run.
   *
   * @param stdout what it printed on stdout (the summary)
   * @param stderr what it printed on stderr (errors)
   * @param exitCode its exit code
   * @param logLines its per-transaction log lines, every thread's file
   */
  public static ClientRun parse(String stdout, String stderr, int exitCode, List<String> logLines) {
    Matcher processed = PROCESSED.matcher(stdout);
    boolean summary = processed.find();
    NavigableMap<Long, Long> completions = new TreeMap<>();
    long logged = 0;
    long loggedFailures = 0;
    Double maxMicros = null;
    for (String line : logLines) {
      String[] f = line.trim().split("\\s+");
      // client_id transaction_no time script_no time_epoch time_us [schedule_lag] [retries]
      if (f.length < 6) {
        continue;
      }
      long ended = Long.parseLong(f[4]) * 1000 + Long.parseLong(f[5]) / 1000;
      if (f[2].chars().allMatch(Character::isDigit)) {
        double micros = Double.parseDouble(f[2]);
        maxMicros = maxMicros == null ? micros : Math.max(maxMicros, micros);
        completions.merge(ended, 1L, Long::sum);
        logged++;
      } else {
        // "failed", "skipped", "serialization" or "deadlock" instead of a time
        loggedFailures++;
      }
    }
    long failed = 0;
    Matcher f = FAILED.matcher(stdout);
    if (f.find()) {
      failed = Long.parseLong(f.group(1));
    }
    List<String> messages = new ArrayList<>();
    Map<String, Long> byKind = new TreeMap<>();
    long errors = 0;
    long aborted = 0;
    Matcher e = ERROR_LINE.matcher(stderr);
    while (e.find()) {
      String message = e.group(1).trim();
      errors++;
      if (ABORTED.matcher(message).find()) {
        aborted++;
      }
      Matcher kind = KIND.matcher(message);
      byKind.merge(kind.find() ? kind.group(1) : "pgbench", 1L, Long::sum);
      if (messages.size() < ClientRun.MESSAGES_KEPT) {
        messages.add(message);
      }
    }
    return new ClientRun(
        "pgbench",
        List.of(exitCode),
        summary && exitCode == 0,
        // With no summary the log is all there is: pgbench ended before it could count.
        summary ? Long.parseLong(processed.group(1)) : logged,
        Math.max(failed, loggedFailures),
        aborted,
        maxMicros == null ? null : maxMicros / 1000.0,
        errors,
        0,
        0,
        byKind,
        completions,
        messages);
  }
}
