package dev.switchback.activities.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import org.junit.jupiter.api.Test;

/** The one shape every engine's revoke result and failure takes. */
class RevokeReportTest {

  @Test
  void nothingLeftIsAResultSayingWhatWasDoneAndChecked() {
    String result =
        new RevokeReport("source", "mig")
            .revoked("INSERT ON `shop`.* from 'mig'@'%'")
            .sessionsEnded(2)
            .checked("SHOW GRANTS")
            .result();

    assertEquals(
        "revoked INSERT ON `shop`.* from 'mig'@'%'; ended 2 session(s) of 'mig' opened before the"
            + " revoke; checked after the revoke: SHOW GRANTS: no write path left",
        result);
  }

  @Test
  void aPathLeftFailsNonRetryablyNamingTheSideTheAccountAndThePath() {
    RevokeReport report = new RevokeReport("destination", "mig").left("INSERT on table t");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, report::result);

    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(
        f.getOriginalMessage()
            .startsWith(
                "destination: the migration account 'mig' can still write after the revoke:"
                    + " INSERT on table t (done: no write privilege to revoke"),
        f.getOriginalMessage());
  }

  @Test
  void longListsAreCutSoThatHistoryStaysSmall() {
    RevokeReport report = new RevokeReport("source", "mig");
    for (int i = 0; i < 1000; i++) {
      report.revoked("INSERT ON `shop`.`t" + i + "`").left("UPDATE on table t" + i);
    }

    ApplicationFailure f = assertThrows(ApplicationFailure.class, report::result);

    assertTrue(f.getOriginalMessage().contains("; and 980 more"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().length() < 2_000, f.getOriginalMessage().length() + "");
  }

  @Test
  void anUnknownAccountIsAPlanMistakeNamingTheField() {
    ApplicationFailure f = RevokeReport.unknownAccount("source", "mgi", "role 'mgi' in pg_roles");

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(
        f.getOriginalMessage()
            .startsWith(
                "migrationAccount.user: 'mgi' does not exist on the source (no role 'mgi' in"
                    + " pg_roles): check migrationAccount.user"),
        f.getOriginalMessage());
  }
}
