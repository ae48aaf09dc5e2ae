package dev.switchback.demo.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * pgbench 15's own output, captured here: {@code pgbench -n -M simple -c 2 -j 1 -R 100 -T 6 -l} on
 * the lab's tpcb database, through PgBouncer 6432 (the pause case) or straight to 5433.
 */
class PgbenchOutputTest {

  @Test
  void aRunHeldByAPausedPgBouncerCountsEveryTransactionAndTheWholeHoldAsItsLongest()
      throws Exception {
    // PAUSE for 1.5 s after 2 s, then RESUME: nothing failed, the held clients waited.
    ClientRun run =
        PgbenchOutput.parse(
            Captured.text("pgbench-through-pgbouncer-pause.out"),
            "",
            0,
            Captured.lines("pgbench-through-pgbouncer-pause.log"));
    assertTrue(run.completed());
    assertEquals(574, run.transactions());
    assertEquals(0, run.failed());
    assertEquals(0, run.abortedClients());
    assertEquals(0, run.errors());
    assertEquals(1588.871, run.maxLatencyMs(), 1e-9);
    // When each transaction ended, from the log: the last before the hold at .200531, none while
    // PgBouncer held the clients, then the backlog from .202130 on.
    assertEquals(574, run.transactionsFrom(0));
    assertEquals(0, run.transactionsFrom(1796325200_532L) - run.transactionsFrom(1796325202_130L));
    assertEquals(381, run.transactionsFrom(1796325202_000L));
    assertEquals(380, run.transactionsFrom(1796325202_131L));
    assertEquals(1796325204_533L, run.lastCompletionMillis());
  }

  @Test
  void clientsWhoseConnectionsTheServerEndedAreAbortedAndTheRunIsNotComplete() throws Exception {
    // pg_terminate_backend on both clients after 1.5 s: pgbench prints the summary, then exits 2.
    ClientRun run =
        PgbenchOutput.parse(
            Captured.text("pgbench-clients-terminated.out"),
            Captured.text("pgbench-clients-terminated.err"),
            2,
            Captured.lines("pgbench-clients-terminated.log"));
    assertFalse(run.completed());
    assertEquals(110, run.transactions());
    assertEquals(2, run.abortedClients());
    assertEquals(3, run.errors());
    assertEquals(Map.of("FATAL", 2L, "pgbench", 1L), run.errorsByCode());
    assertTrue(
        run.messages().get(0).contains("terminating connection due to administrator command"),
        run.messages().toString());
  }

  @Test
  void anErrorPgbenchDoesNotRetryAbortsItsClientAndIsNotAFailedTransaction() throws Exception {
    // A CHECK constraint added mid-run: "number of failed transactions" stays 0 (pgbench counts
    // only serialization and deadlock failures there); the clients are aborted.
    ClientRun run =
        PgbenchOutput.parse(
            Captured.text("pgbench-check-violation.out"),
            Captured.text("pgbench-check-violation.err"),
            2,
            Captured.lines("pgbench-check-violation.log"));
    assertFalse(run.completed());
    assertEquals(143, run.transactions());
    assertEquals(0, run.failed());
    assertEquals(2, run.abortedClients());
    assertEquals(Map.of("ERROR", 2L, "pgbench", 1L), run.errorsByCode());
  }

  @Test
  void aRunThatEndedWithoutItsSummaryCountsWhatItsLogHolds() throws Exception {
    // One client's connection terminated: this pgbench printed "unexpected error status" and
    // exited 1 with no summary (its log, aggregated, is not read here).
    ClientRun run =
        PgbenchOutput.parse(
            Captured.text("pgbench-unexpected-error-status.out"),
            Captured.text("pgbench-unexpected-error-status.err"),
            1,
            List.of());
    assertFalse(run.completed());
    assertEquals(0, run.transactions());
    assertEquals(1, run.abortedClients());
    assertEquals(2, run.errors());
    assertNull(run.maxLatencyMs());
  }

  @Test
  void twoPgbenchProcessesMergeIntoOneRun() throws Exception {
    ClientRun a =
        PgbenchOutput.parse(
            Captured.text("pgbench-through-pgbouncer-pause.out"),
            "",
            0,
            Captured.lines("pgbench-through-pgbouncer-pause.log"));
    ClientRun b =
        PgbenchOutput.parse(
            Captured.text("pgbench-clients-terminated.out"),
            Captured.text("pgbench-clients-terminated.err"),
            2,
            Captured.lines("pgbench-clients-terminated.log"));
    ClientRun both = ClientRun.merge(List.of(a, b));
    assertEquals(List.of(0, 2), both.exitCodes());
    assertFalse(both.completed());
    assertEquals(574 + 110, both.transactions());
    assertEquals(2, both.abortedClients());
    assertEquals(1588.871, both.maxLatencyMs(), 1e-9);
    assertEquals(574 + 110, both.transactionsFrom(0));
  }
}
