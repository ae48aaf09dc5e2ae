package dev.switchback.demo.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * sysbench 1.0.20's own output, captured here: {@code oltp_write_only --tables=2 --table-size=1000
 * --threads=4 --rate=100} through HAProxy 3390 to the lab's MariaDB 3307.
 */
class SysbenchOutputTest {

  @Test
  void aCleanRunReportsItsTransactionsAndLongestLatency() throws Exception {
    ClientRun run = SysbenchOutput.parse(Captured.text("sysbench-direct.out"), 0, 0);
    assertTrue(run.completed());
    assertEquals(258, run.transactions());
    assertEquals(0, run.errors());
    assertEquals(0, run.reconnects());
    assertEquals(6.92, run.maxLatencyMs(), 1e-9);
    assertEquals(Map.of(), run.errorsByCode());
  }

  @Test
  void sessionsEndedByTheProxyAreCountedAsErrorsReconnectsAndRefusedAttempts() throws Exception {
    // The demo's reconnecting script, --report-interval=1; after 1.5 s the server in maintenance
    // and its sessions shut down for 1.5 s: four statements lost their connection (2013), each
    // thread retried its connection every 20 ms while HAProxy refused, then reconnected once.
    long start = 1_796_400_000_000L;
    ClientRun run =
        SysbenchOutput.parse(Captured.text("sysbench-reconnecting.out"), 0, start + 400);
    assertTrue(run.completed());
    assertEquals(655, run.transactions());
    assertEquals(5, run.errors());
    assertEquals(4, run.reconnects());
    assertEquals(295, run.refusedConnects());
    assertEquals(1639.79, run.maxLatencyMs(), 1e-9);
    assertEquals(Map.of("2013", 4L, "2013 (connect)", 295L), run.errorsByCode());
    // Per-second reports: nothing in the third second, the backlog in the fourth.
    long t0 = start + 400;
    assertEquals(
        Map.of(
            t0,
            87L,
            t0 + 1_000,
            35L,
            t0 + 3_000,
            257L,
            t0 + 4_000,
            93L,
            t0 + 5_000,
            81L,
            t0 + 6_000,
            101L),
        run.completions());
    assertEquals(93 + 81 + 101, run.transactionsFrom(start + 4_000));
  }

  @Test
  void aRunThatCrashedReconnectingIsNotComplete() throws Exception {
    // The stock oltp_write_only with --mysql-ignore-errors=all, sessions shut down by HAProxy:
    // the driver's in-place reconnect crashes with libmariadb (exit 139, no statistics).
    ClientRun run = SysbenchOutput.parse(Captured.text("sysbench-segfault.out"), 139, 0);
    assertFalse(run.completed());
    assertEquals(0, run.transactions());
    assertNull(run.maxLatencyMs());
    assertEquals(java.util.List.of(139), run.exitCodes());
  }
}
