package dev.switchback.activities.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.support.Fixtures;
import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.SessionInfo;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Session classification on the gv$session rows in sessions.json (see the fixture's README). */
class OracleSessionsTest {

  private static List<OracleSessions.Row> rows() {
    return Fixtures.rows(OracleSessionsTest.class, "sessions.json").stream()
        .map(OracleSessions.Row::of)
        .toList();
  }

  private static List<String> ids(List<SessionInfo> sessions) {
    return sessions.stream().map(SessionInfo::id).toList();
  }

  @Test
  void aRowInTransactionIsAWriterWhateverTheSessionStatus() {
    Sessions s =
        OracleSessions.classify(
            rows(), new SessionAccounts(Set.of("orders_app"), Set.of("dts_migrator")));

    assertEquals(List.of("131,40211,@1", "152,9090,@1", "95,3121,@2"), ids(s.writers()));
    assertEquals(List.of("140,1877,@1"), ids(s.others()));
    // DTS_MIGRATOR, Switchback, the user-less session, REPORTING
    assertEquals(4, s.excluded());
  }

  @Test
  void aSelectForUpdateWithoutUndoStillHoldsATransaction() {
    OracleSessions.Row r = rows().get(2);
    assertEquals(0L, r.undoRecords());
    assertTrue(r.writer());
  }

  @Test
  void theSessionIdIsWhatKillSessionTakesOnRac() {
    SessionInfo rac =
        OracleSessions.classify(rows(), new SessionAccounts(Set.of("ORDERS_APP"), Set.of()))
            .writers()
            .get(2);
    assertEquals("95,3121,@2", rac.id());
    assertEquals("app@orders-api-2c41", rac.client());
    assertTrue(
        rac.detail().startsWith("transaction ACTIVE since 07/14/26 10:01:58, undo records 1"));
  }

  @Test
  void withNoApplicationAccountsNamedOtherUsersCount() {
    Sessions s =
        OracleSessions.classify(rows(), new SessionAccounts(Set.of(), Set.of("DTS_MIGRATOR")));
    assertEquals(List.of("140,1877,@1", "190,88,@1"), ids(s.others()));
    assertEquals(3, s.excluded(), "migration, Switchback, the user-less session");
  }
}
