package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.mysql.MySqlEngine;
import dev.switchback.activities.mysql.MySqlProvider;
import dev.switchback.activities.postgres.PostgresEngine;
import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.router.ManualRouter;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.support.TlsLab;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 5: the preflight shows every connection that is not verified TLS (the worker's URLs
 * and the replication links) as a check that holds with a warning, and fails it when the plan says
 * {@code requireVerifiedTls: true}. Against the TLS lab (deploy/lab/tls.sh), whose servers offer
 * TLS, so a plaintext URL there is the plan's choice, not the server's.
 */
class PreflightTransportTest {

  @BeforeAll
  static void lab() {
    TlsLab.ensure();
  }

  private static PreflightReport preflight(CutoverPlan plan) {
    Secrets secrets = new Secrets(Map.of());
    Registry registry =
        new Registry()
            .engine(new PostgresEngine())
            .provider(new PostgresProvider())
            .engine(new MySqlEngine("mariadb"))
            .provider(new MySqlProvider("mariadb"))
            .router(new ManualRouter());
    try (Connections connections = new Connections(secrets)) {
      return new DatabaseActivitiesImpl(registry, connections).preflight(plan.workflowId(), plan);
    }
  }

  private static CutoverPlan plan(
      String engine, String sourceUrl, String destinationUrl, Map<String, String> options) {
    return new CutoverPlan(
            "transport-probe",
            new MigrationSpec(engine, "sb_tls_probe", null, options),
            new EndpointSpec(
                engine,
                sourceUrl,
                "postgres".equals(engine) ? "postgres" : "root",
                null,
                null,
                null),
            new EndpointSpec(
                engine,
                destinationUrl,
                "postgres".equals(engine) ? "postgres" : "root",
                null,
                null,
                null),
            new MigrationAccountSpec("sb_tls_migrator", null, false),
            RouterSpec.manual(),
            null,
            null,
            List.of(),
            null,
            null,
            null,
            "0s")
        .withDefaults();
  }

  private static PreflightCheck check(PreflightReport r, String name) {
    return r.checks().stream()
        .filter(c -> c.check().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check '" + name + "' in " + r.checks()));
  }

  @Test
  void aPlaintextPostgresUrlAndLinksAreWarningsNotFailures() {
    PreflightReport r =
        preflight(
            plan(
                "postgres",
                "jdbc:postgresql://127.0.0.1:" + TlsLab.PG_SOURCE + "/postgres",
                TlsLab.pgUrl(TlsLab.PG_DESTINATION, "postgres"),
                Map.of()));

    PreflightCheck source = check(r, "source: transport");
    assertTrue(source.ok() && source.warning(), "a warning, not a failure: " + source);
    assertTrue(source.detail().contains("no sslmode"), source.detail());
    assertTrue(source.detail().contains("sslmode=verify-full"), "names the fix: " + source);
    PreflightCheck destination = check(r, "destination: transport");
    assertTrue(destination.ok() && destination.detail().contains("verify-full"), "" + destination);
    assertFalse(destination.warning(), "verified TLS is no warning: " + destination);
    PreflightCheck reverse = check(r, "reverse link: transport");
    assertTrue(reverse.ok() && reverse.warning(), "" + reverse);
    assertTrue(
        reverse.detail().contains("destination.options.replicationSslMode: verify-full"),
        "names the plan option that fixes it: " + reverse);
  }

  @Test
  void aPlanThatRequiresVerifiedTlsFailsOnEveryPlaintextConnection() {
    PreflightReport r =
        preflight(
            plan(
                "postgres",
                "jdbc:postgresql://127.0.0.1:" + TlsLab.PG_SOURCE + "/postgres?sslmode=require",
                TlsLab.pgUrl(TlsLab.PG_DESTINATION, "postgres"),
                Map.of("requireVerifiedTls", "true")));

    assertFalse(r.ok());
    assertFalse(check(r, "source: transport").ok(), "sslmode=require does not verify the server");
    assertTrue(check(r, "destination: transport").ok(), "verify-full passes");
    assertFalse(check(r, "forward link: transport").ok());
    assertFalse(check(r, "reverse link: transport").ok());
  }

  @Test
  void aPlaintextMariaDbUrlAndLinksAreWarningsNotFailures() {
    PreflightReport r =
        preflight(
            plan(
                "mariadb",
                "jdbc:mariadb://127.0.0.1:" + TlsLab.MARIADB_SOURCE + "/",
                TlsLab.mariadbUrl(TlsLab.MARIADB_DESTINATION),
                Map.of()));

    PreflightCheck source = check(r, "source: transport");
    assertTrue(source.ok() && source.warning(), "" + source);
    assertTrue(source.detail().contains("sslMode"), source.detail());
    assertTrue(check(r, "destination: transport").ok());
    assertFalse(check(r, "destination: transport").warning());
    PreflightCheck reverse = check(r, "reverse link: transport");
    assertTrue(reverse.ok() && reverse.warning(), "" + reverse);
    assertTrue(reverse.detail().contains("migration.options.destinationSslMode"), "" + reverse);
  }

  @Test
  void aRequireVerifiedTlsThatIsNotTrueOrFalseFailsNamingIt() {
    PreflightReport r =
        preflight(
            plan(
                "postgres",
                TlsLab.pgUrl(TlsLab.PG_SOURCE, "postgres"),
                TlsLab.pgUrl(TlsLab.PG_DESTINATION, "postgres"),
                Map.of("requireVerifiedTls", "yes")));

    PreflightCheck policy = check(r, "migration.options.requireVerifiedTls");
    assertFalse(policy.ok(), "" + policy);
    assertTrue(policy.detail().startsWith("'yes' is not true or false"), policy.detail());
  }
}
