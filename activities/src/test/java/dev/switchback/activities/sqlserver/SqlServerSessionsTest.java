package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.support.Fixtures;
import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.SessionInfo;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Session classification on the DMV rows in sessions.json (see the fixture's README). */
class SqlServerSessionsTest {

  private static List<SqlServerSessions.Row> rows() {
    return Fixtures.rows(SqlServerSessionsTest.class, "sessions.json").stream()
        .map(SqlServerSessions.Row::of)
        .toList();
  }

  private static List<String> ids(List<SessionInfo> sessions) {
    return sessions.stream().map(SessionInfo::id).toList();
  }

  @Test
  void openTransactionsThatWroteAreWritersAndIdleOrReadOnlySessionsAreNot() {
    Sessions s =
        SqlServerSessions.classify(
            rows(), new SessionAccounts(Set.of("orders_app"), Set.of("dts_migrator")));

    assertEquals(List.of("52", "57", "62"), ids(s.writers()));
    assertEquals(List.of("53", "54"), ids(s.others()));
    // 55 migration, 56 Switchback, 60 CDC capture, 61 a login the plan does not name
    assertEquals(4, s.excluded());
    s.writers().forEach(w -> assertTrue(w.writer()));
    s.others().forEach(o -> assertFalse(o.writer()));
  }

  @Test
  void marsRowsOfOneSessionMergeIntoOneWriter() {
    Sessions s =
        SqlServerSessions.classify(
            rows(), new SessionAccounts(Set.of("orders_app"), Set.of("dts_migrator")));

    SessionInfo batch = s.writers().stream().filter(w -> w.id().equals("57")).findFirst().get();
    assertEquals("orders_app", batch.user());
    assertEquals("orders-batch", batch.application());
    assertEquals("10.0.3.40", batch.client());
    assertTrue(batch.detail().contains("log bytes 512"), batch.detail());
    assertEquals(1, s.writers().stream().filter(w -> w.id().equals("57")).count());
  }

  @Test
  void aBeginLsnBeyondALongStillMarksAWriter() {
    SqlServerSessions.Row r = rows().stream().filter(x -> x.sessionId() == 62).findFirst().get();
    assertEquals("1234567890123456789012345", r.beginLsn());
    assertEquals(0L, r.logBytesUsed());
    assertTrue(r.wrote());
  }

  @Test
  void withNoApplicationAccountsNamedEveryOtherLoginCountsButCdcCaptureDoesNot() {
    Sessions s =
        SqlServerSessions.classify(rows(), new SessionAccounts(Set.of(), Set.of("DTS_Migrator")));

    assertEquals(List.of("52", "57", "62"), ids(s.writers()));
    assertEquals(List.of("53", "54", "61"), ids(s.others()));
    assertEquals(3, s.excluded(), "55 migration (matched without case), 56 Switchback, 60 CDC");
  }

  @Test
  void anIdleReaderSaysWhyItIsNotAWriter() {
    Sessions s =
        SqlServerSessions.classify(rows(), new SessionAccounts(Set.of("orders_app"), Set.of()));
    SessionInfo reader = s.others().get(0);
    assertEquals("53", reader.id());
    assertEquals("sleeping", reader.state());
    assertEquals("no open transaction", reader.detail());
    SessionInfo readTx = s.others().get(1);
    assertTrue(readTx.state().contains("1 open transaction"), readTx.state());
    assertTrue(readTx.detail().startsWith("open transaction without writes here"), readTx.detail());
  }
}
