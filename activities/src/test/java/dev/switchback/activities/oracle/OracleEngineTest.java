package dev.switchback.activities.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.Transport.Protection;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Names, options and the revoke plan: what is decided before a statement reaches a server. */
class OracleEngineTest {

  @Test
  void ordinaryNamesAreUpperCaseAndQuotedNamesKeepTheirCase() {
    assertEquals("ORDERS_APP", OracleSql.canonical("orders_app"));
    assertEquals("Orders$App#1", OracleSql.canonical("\"Orders$App#1\""));
    assertEquals(
        "my-app", OracleSql.canonical("my-app"), "not an ordinary identifier: stored as is");
    assertEquals("\"ORDERS_APP\"", OracleSql.quote("ORDERS_APP"));
    assertThrows(IllegalArgumentException.class, () -> OracleSql.quote("A\"B"));
  }

  @Test
  void accountLockIsTheDefaultFenceAndAnUnknownOneIsRefused() {
    EndpointSpec plain =
        new EndpointSpec(
            "oracle", "jdbc:oracle:thin:@//db:1521/ORCL", "sb", null, List.of(), Map.of());
    assertEquals(OracleEngine.FenceMode.ACCOUNT_LOCK, OracleEngine.fenceMode("source", plain));
    EndpointSpec ro =
        new EndpointSpec(
            "oracle",
            "jdbc:oracle:thin:@//db:1521/ORCL",
            "sb",
            null,
            List.of(),
            Map.of("fence", "read_only"));
    assertEquals(OracleEngine.FenceMode.READ_ONLY, OracleEngine.fenceMode("source", ro));
    EndpointSpec bad =
        new EndpointSpec(
            "oracle",
            "jdbc:oracle:thin:@//db:1521/ORCL",
            "sb",
            null,
            List.of(),
            Map.of("fence", "quiesce"));
    ApplicationFailure e =
        assertThrows(ApplicationFailure.class, () -> OracleEngine.fenceMode("destination", bad));
    assertEquals(FailureTypes.INVALID_PLAN, e.getType());
    assertTrue(e.getOriginalMessage().startsWith("destination.options.fence: 'quiesce'"));
  }

  @Test
  void revokeTakesWriteSystemAndObjectPrivilegesAndWriteRolesAndKeepsReads() {
    assertEquals(
        List.of(
            "REVOKE INSERT ANY TABLE FROM \"DTS_MIGRATOR\"",
            "REVOKE DELETE ON \"ORDERS\".\"ITEMS\" FROM \"DTS_MIGRATOR\"",
            "REVOKE INSERT ON \"ORDERS\".\"ITEMS\" FROM \"DTS_MIGRATOR\"",
            "REVOKE \"DTS_WRITER\" FROM \"DTS_MIGRATOR\""),
        OracleRevoke.statements(
            "DTS_MIGRATOR",
            List.of("CREATE SESSION", "SELECT ANY TABLE", "INSERT ANY TABLE"),
            List.of(
                new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "SELECT"),
                new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "DELETE"),
                new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "INSERT")),
            List.of("DTS_WRITER")));
  }

  @Test
  void whatIsLeftAfterTheRevokeIsNamedWithItsFixAndNothingLeftIsEmpty() {
    List<String> left =
        OracleRevoke.left(
            "DTS_MIGRATOR",
            List.of("CREATE SESSION", "UPDATE ANY TABLE"),
            List.of(new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "SELECT")),
            List.of(),
            3,
            List.of("CREATE SESSION", "DELETE ANY TABLE"),
            List.of(
                new OracleRevoke.ObjectPrivilege("ORDERS", "AUDIT", "INSERT"),
                new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "SELECT")));

    assertEquals(
        List.of(
            "still granted: UPDATE ANY TABLE FROM \"DTS_MIGRATOR\" (REVOKE UPDATE ANY TABLE FROM"
                + " \"DTS_MIGRATOR\" by hand)",
            "DELETE ANY TABLE granted to PUBLIC, which every user holds (REVOKE DELETE ANY TABLE"
                + " FROM PUBLIC)",
            "INSERT ON \"ORDERS\".\"AUDIT\" granted to PUBLIC, which every user holds",
            "DTS_MIGRATOR owns 3 table(s), and an owner always writes its own tables: move them to"
                + " another schema, or lock the account (ALTER USER \"DTS_MIGRATOR\" ACCOUNT LOCK)"),
        left);
    assertEquals(
        List.of(),
        OracleRevoke.left(
            "DTS_MIGRATOR",
            List.of("CREATE SESSION", "SELECT ANY TABLE"),
            List.of(new OracleRevoke.ObjectPrivilege("ORDERS", "ITEMS", "SELECT")),
            List.of(),
            0,
            List.of(),
            List.of()));
  }

  @Test
  void permissionErrorsAreTold() {
    assertTrue(OracleSql.isPermissionError(1031));
    assertTrue(OracleSql.isPermissionError(942));
    assertEquals(false, OracleSql.isPermissionError(54), "ORA-00054 resource busy is retried");
  }

  @Test
  void onlyTcpsIsTls() {
    assertEquals(
        Protection.PLAINTEXT,
        new OracleEngine()
            .transport(
                "source",
                new EndpointSpec(
                    "oracle", "jdbc:oracle:thin:@//db:1521/ORCL", "sb", null, null, null))
            .protection());
    assertEquals(
        Protection.VERIFIED,
        new OracleEngine()
            .transport(
                "source",
                new EndpointSpec(
                    "oracle", "jdbc:oracle:thin:@tcps://db:2484/ORCL", "sb", null, null, null))
            .protection());
  }
}
