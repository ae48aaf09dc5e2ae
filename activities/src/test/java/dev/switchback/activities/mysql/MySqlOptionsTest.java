package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MySqlOptionsTest {

  private static EndpointSpec endpoint(String url) {
    return new EndpointSpec("mariadb", url, "root", null, null, null);
  }

  private static CutoverPlan plan(Map<String, String> options, String reverse) {
    return new CutoverPlan(
            "orders-move",
            new MigrationSpec("mariadb", "fwd", reverse, options),
            endpoint("jdbc:mariadb://db-a.internal:3307/app"),
            endpoint("jdbc:mariadb://db-b.internal/app"),
            new MigrationAccountSpec("migrator", null, true),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null)
        .withDefaults();
  }

  @Test
  void addressesComeFromTheJdbcUrlUnlessOverridden() {
    CutoverPlan p = plan(Map.of(), null);
    assertEquals("db-a.internal:3307", MySqlOptions.sourceAddress(p).toString());
    assertEquals("db-b.internal:3306", MySqlOptions.destinationAddress(p).toString());
    CutoverPlan o = plan(Map.of(MySqlOptions.SOURCE_ADDRESS, "10.0.0.5:3310"), null);
    assertEquals("10.0.0.5:3310", MySqlOptions.sourceAddress(o).toString());
    assertEquals(
        "::1:3306",
        MySqlOptions.address(endpoint("jdbc:mysql://[::1]:3306/"), "source", "x", null).toString());
    assertEquals(
        "h1:1",
        MySqlOptions.address(
                endpoint("jdbc:mariadb:replication://user@h1:1,h2:2/db?x=y"), "source", "x", null)
            .toString());
  }

  @Test
  void badAddressesNameTheField() {
    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class,
            () ->
                MySqlOptions.sourceAddress(
                    plan(Map.of(MySqlOptions.SOURCE_ADDRESS, "db-a"), null)));
    assertTrue(e.getOriginalMessage().contains("migration.options.sourceAddress"));
    ApplicationFailure u =
        assertThrows(
            ApplicationFailure.class,
            () ->
                MySqlOptions.address(
                    endpoint("jdbc:postgresql://h/db"), "source", "sourceAddress", null));
    assertTrue(u.getOriginalMessage().startsWith("source.url"), u.getOriginalMessage());
    assertEquals(FailureTypes.INVALID_PLAN, u.getType());
  }

  @Test
  void databasesAndInstanceNames() {
    assertEquals(List.of(), MySqlOptions.databases(plan(Map.of(), null)));
    assertEquals(
        List.of("app", "billing"),
        MySqlOptions.databases(plan(Map.of(MySqlOptions.DATABASES, "app, billing"), null)));
    assertThrows(
        ApplicationFailure.class,
        () -> MySqlOptions.databases(plan(Map.of(MySqlOptions.DATABASES, "app;drop"), null)));
    assertEquals("sb_rev_orders_move", MySqlOptions.reverseInstance(plan(Map.of(), null)));
    assertThrows(
        ApplicationFailure.class,
        () -> MySqlOptions.reverseInstance(plan(Map.of(), "r".repeat(65))));
    assertEquals("app", MySqlOptions.urlDatabase("jdbc:mariadb://h:1/app?useSsl=false"));
    assertNull(MySqlOptions.urlDatabase("jdbc:mariadb://h:1/"));
  }

  @Test
  void theMigrationAccountLogsInWithoutTheApplicationsDatabase() {
    assertEquals(
        "jdbc:mariadb://h:1/?useSsl=false",
        MySqlOptions.serverUrl("jdbc:mariadb://h:1/app?useSsl=false"));
    assertEquals("jdbc:mariadb://h:1/", MySqlOptions.serverUrl("jdbc:mariadb://h:1/app"));
    assertEquals("jdbc:mysql://h:1", MySqlOptions.serverUrl("jdbc:mysql://h:1"));
    assertEquals(
        "jdbc:mariadb:replication://h1:1,h2:2/?x=y",
        MySqlOptions.serverUrl("jdbc:mariadb:replication://h1:1,h2:2/db?x=y"));
  }

  @Test
  void linkTlsComesFromTheOptionsAndIsCheckedNamingTheOption() {
    MySqlOptions.Tls t =
        MySqlOptions.destinationTls(
            plan(
                Map.of(
                    MySqlOptions.DESTINATION_SSL_MODE, "VERIFY_IDENTITY",
                    MySqlOptions.DESTINATION_SSL_CA, "/etc/mysql/ca.pem"),
                null));
    assertEquals(
        new MySqlOptions.Tls("destination", "verify-identity", "/etc/mysql/ca.pem", false), t);
    assertEquals(
        new MySqlOptions.Tls("source", null, null, false),
        MySqlOptions.sourceTls(plan(Map.of(), null)));
    assertTrue(
        MySqlOptions.sourceTls(plan(Map.of(MySqlOptions.GET_SOURCE_PUBLIC_KEY, "true"), null))
            .getPublicKey());

    Map<Map<String, String>, String> bad =
        Map.of(
            Map.of(MySqlOptions.SOURCE_SSL_MODE, "preferred"),
            "migration.options.sourceSslMode: 'preferred' is not a mode; use verify-identity",
            Map.of(MySqlOptions.SOURCE_SSL_MODE, "verify-ca"),
            "migration.options.sourceSslCa: missing for sourceSslMode verify-ca; give the path of"
                + " the CA certificate that signed the source's certificate, on the destination's"
                + " host",
            Map.of(MySqlOptions.SOURCE_SSL_MODE, "required", MySqlOptions.SOURCE_SSL_CA, "/ca.pem"),
            "migration.options.sourceSslCa: is read only when the source is verified, and"
                + " sourceSslMode is required; set migration.options.sourceSslMode: verify-identity",
            Map.of(
                MySqlOptions.SOURCE_SSL_MODE,
                "verify-identity",
                MySqlOptions.SOURCE_SSL_CA,
                "ca.pem"),
            "migration.options.sourceSslCa: 'ca.pem' is not an absolute path",
            Map.of(MySqlOptions.GET_SOURCE_PUBLIC_KEY, "yes"),
            "migration.options.getSourcePublicKey: 'yes' is not true or false");
    bad.forEach(
        (options, message) -> {
          ApplicationFailure e =
              assertThrows(
                  ApplicationFailure.class, () -> MySqlOptions.sourceTls(plan(options, null)));
          assertEquals(FailureTypes.INVALID_PLAN, e.getType());
          assertTrue(e.getOriginalMessage().startsWith(message), e.getOriginalMessage());
        });
  }
}
