package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Fixtures;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The migration account's revoke, on permissions.json and role lists. */
class SqlServerRevokeTest {

  private static final List<SqlServerRevoke.Grant> GRANTS =
      Fixtures.rows(SqlServerRevokeTest.class, "permissions.json").stream()
          .map(SqlServerRevoke.Grant::of)
          .toList();

  @Test
  void writeRolesAreDroppedAndExplicitGrantsRevokedAtTheirScope() {
    assertEquals(
        List.of(
            "ALTER ROLE [db_datawriter] DROP MEMBER [dts_migrator]",
            "REVOKE INSERT FROM [dts_migrator]",
            "REVOKE UPDATE ON SCHEMA::[sales] FROM [dts_migrator]",
            "REVOKE DELETE ON OBJECT::[dbo].[orders] FROM [dts_migrator] CASCADE",
            "REVOKE ALTER ON OBJECT::[dbo].[odd]]name] FROM [dts_migrator]"),
        SqlServerRevoke.statements(
            "dts_migrator", List.of("db_datareader", "db_datawriter"), GRANTS));
  }

  @Test
  void droppingDbOwnerKeepsTheAccountReading() {
    assertEquals(
        List.of(
            "ALTER ROLE [db_datareader] ADD MEMBER [dts_migrator]",
            "ALTER ROLE [db_owner] DROP MEMBER [dts_migrator]"),
        SqlServerRevoke.statements("dts_migrator", List.of("db_owner"), List.of()));
  }

  @Test
  void aSysadminOrTheDatabaseOwnerFailsBeforeAnyStatement() throws Exception {
    for (SqlServerPrincipals.Principal p :
        List.of(
            new SqlServerPrincipals.Principal("dts_migrator", "dts_login", "SQL_USER", true),
            new SqlServerPrincipals.Principal("dbo", "sa", "SQL_USER", false))) {
      // No connection: the refusal comes before anything is sent.
      ApplicationFailure f =
          assertThrows(
              ApplicationFailure.class, () -> SqlServerRevoke.revoke(null, "source", "orders", p));
      assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
      assertTrue(f.getOriginalMessage().startsWith("source: the migration account '" + p.user()));
      assertTrue(f.getOriginalMessage().contains("nothing was revoked"), f.getMessage());
    }
  }

  @Test
  void nothingToRevokeGivesNoStatement() {
    assertEquals(
        List.of(), SqlServerRevoke.statements("dts_migrator", List.of("db_datareader"), List.of()));
  }
}
