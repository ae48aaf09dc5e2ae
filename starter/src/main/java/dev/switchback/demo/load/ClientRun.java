package dev.switchback.demo.load;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What an external load generator reported about its run, read from its own output (and, for
 * pgbench, its per-transaction log). Several processes of one tool merge into one run.
 *
 * @param tool {@code pgbench} or {@code sysbench}
 * @param exitCodes each process's exit code
 * @param completed every process ended normally and printed its final summary
 * @param transactions transactions the tool counted as done, each one acknowledged by the database
 *     (pgbench: "number of transactions actually processed"; sysbench: "transactions")
 * @param failed transactions the tool counted as failed (pgbench: "number of failed transactions";
 *     sysbench restarts a failed transaction until it succeeds, so 0)
 * @param abortedClients clients (pgbench) or threads (sysbench) the tool gave up on
 * @param maxLatencyMs the longest transaction in ms, null when the tool did not say (pgbench: from
 *     its per-transaction log, measured from the transaction's scheduled start under {@code -R}, so
 *     a transaction held by a paused PgBouncer counts its whole wait; sysbench: its "max" latency,
 *     from the transaction's first attempt to its success, restarts included, time queued behind
 *     {@code --rate} not)
 * @param errors errors the tool reported (pgbench: its {@code error:} lines; sysbench: "ignored
 *     errors", each one a restarted transaction)
 * @param reconnects new connections after a lost one (pgbench never reconnects)
 * @param refusedConnects connection attempts refused while reconnecting
 * @param errorsByCode the tool's error lines by code (MySQL error number, or PostgreSQL's message
 *     kind: {@code FATAL}, {@code ERROR})
 * @param completions transactions completed, by when (Unix epoch milliseconds: each transaction's
 *     end for pgbench, each per-second report's start for sysbench), to tell when the load flowed
 * @param messages the first of the tool's error lines, as printed
 */
public record ClientRun(
    String tool,
    List<Integer> exitCodes,
    boolean completed,
    long transactions,
    long failed,
    long abortedClients,
    Double maxLatencyMs,
    long errors,
    long reconnects,
    long refusedConnects,
    Map<String, Long> errorsByCode,
    @JsonIgnore NavigableMap<Long, Long> completions,
    List<String> messages) {

  /** The messages a run keeps, so a storm of errors does not fill the report. */
  static final int MESSAGES_KEPT = 10;

  public ClientRun {
    exitCodes = List.copyOf(exitCodes);
    errorsByCode = Collections.unmodifiableMap(new TreeMap<>(errorsByCode));
    completions = Collections.unmodifiableNavigableMap(new TreeMap<>(completions));
    messages = List.copyOf(messages);
  }

  /** Transactions completed from {@code epochMillis} on. */
  public long transactionsFrom(long epochMillis) {
    return completions.tailMap(epochMillis, true).values().stream()
        .mapToLong(Long::longValue)
        .sum();
  }

  /** When the last transaction completed, or 0 when none did. */
  public long lastCompletionMillis() {
    return completions.isEmpty() ? 0 : completions.lastKey();
  }

  /** One line for people: what the tool said, in its words' order. */
  public String summary() {
    return String.format(
        "%s %s: %d transactions acknowledged, %d failed, %d client(s) aborted, longest transaction"
            + " %s, %d error(s), %d reconnect(s)%s",
        tool,
        completed ? "ended" : "did not end normally (exit " + exitCodes + ")",
        transactions,
        failed,
        abortedClients,
        maxLatencyMs == null ? "unknown" : Math.round(maxLatencyMs) + " ms",
        errors,
        reconnects,
        errorsByCode.isEmpty() ? "" : ", errors by code " + errorsByCode);
  }

  /** Several processes of one tool as one run: counts summed, the longest latency kept. */
  public static ClientRun merge(List<ClientRun> runs) {
    if (runs.size() == 1) {
      return runs.get(0);
    }
    List<Integer> exits = new ArrayList<>();
    boolean completed = true;
    long transactions = 0;
    long failed = 0;
    long aborted = 0;
    Double max = null;
    long errors = 0;
    long reconnects = 0;
    long refused = 0;
    Map<String, Long> byCode = new TreeMap<>();
    NavigableMap<Long, Long> completions = new TreeMap<>();
    List<String> messages = new ArrayList<>();
    for (ClientRun r : runs) {
      exits.addAll(r.exitCodes());
      completed &= r.completed();
      transactions += r.transactions();
      failed += r.failed();
      aborted += r.abortedClients();
      if (r.maxLatencyMs() != null) {
        max = max == null ? r.maxLatencyMs() : Math.max(max, r.maxLatencyMs());
      }
      errors += r.errors();
      reconnects += r.reconnects();
      refused += r.refusedConnects();
      r.errorsByCode().forEach((k, v) -> byCode.merge(k, v, Long::sum));
      r.completions().forEach((k, v) -> completions.merge(k, v, Long::sum));
      r.messages().stream()
          .limit(Math.max(0, MESSAGES_KEPT - messages.size()))
          .forEach(messages::add);
    }
    return new ClientRun(
        runs.get(0).tool(),
        exits,
        completed,
        transactions,
        failed,
        aborted,
        max,
        errors,
        reconnects,
        refused,
        byCode,
        completions,
        messages);
  }
}
