package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.switchback.activities.support.Fixtures;
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
  void nothingToRevokeGivesNoStatement() {
    assertEquals(
        List.of(), SqlServerRevoke.statements("dts_migrator", List.of("db_datareader"), List.of()));
  }
}
