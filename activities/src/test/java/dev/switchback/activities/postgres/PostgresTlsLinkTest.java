package dev.switchback.activities.postgres;

import static dev.switchback.activities.postgres.PgLab.PROVIDER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.TlsLab;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The subscriptions' links over verified TLS, against the TLS lab's pair (deploy/lab/tls.sh: 5440
 * source, 5441 destination, started when absent): the publisher sees its walsender encrypted, and a
 * link told to trust another CA refuses the server.
 */
class PostgresTlsLinkTest {
  private static final String SCHEMA = "CREATE TABLE orders (id bigint PRIMARY KEY, note text)";

  private static Map<String, String> verifyFull(String ca) {
    return Map.of("replicationSslMode", "verify-full", "replicationSslRootCert", ca);
  }

  @Test
  void bothLinksAreEncryptedOnThePublisherAndVerifyTheServer() throws Exception {
    try (PgLab.Pair p = PgLab.Pair.tls()) {
      p.schema(SCHEMA).src("INSERT INTO orders VALUES (1, 'before')");
      CutoverPlan plan = p.plan(List.of(), null, verifyFull(TlsLab.ca()), verifyFull(TlsLab.ca()));

      p.startForward(plan);
      assertWalsenderEncrypted(p.sourcePort, p.forward);
      assertConninfoVerifies(p.destinationPort, p.db, p.forward);

      p.cutToReverse(plan);
      assertWalsenderEncrypted(p.destinationPort, p.reverse);
      assertConninfoVerifies(p.sourcePort, p.db, p.reverse);

      p.dst("INSERT INTO orders VALUES (2, 'after the switch')");
      Await.until(
          "the destination's write carried back over the reverse link",
          Duration.ofSeconds(30),
          () -> p.srcLong("SELECT count(*) FROM orders WHERE id = 2"),
          n -> n == 1);
    }
  }

  @Test
  void aLinkToAServerSignedByAnotherCaIsRefused() throws Exception {
    try (PgLab.Pair p = PgLab.Pair.tls()) {
      p.schema(SCHEMA);
      CutoverPlan plan =
          p.plan(List.of(), null, verifyFull(TlsLab.otherCa()), verifyFull(TlsLab.ca()));

      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () -> PostgresMigrationSetup.createForward(p.connections, plan));

      assertTrue(
          String.valueOf(e.getMessage()).contains("certificate verify failed"),
          "the subscriber must refuse the source's certificate: " + e.getMessage());
      assertEquals(
          0,
          p.dstLong("SELECT count(*) FROM pg_subscription WHERE subname = '" + p.forward + "'"),
          "no subscription reads a server it could not verify");
    }
  }

  @Test
  void aBadTlsOptionIsRefusedNamingItBeforeAnythingIsCreated() throws Exception {
    try (PgLab.Pair p = PgLab.Pair.tls()) {
      p.schema(SCHEMA);
      CutoverPlan plan =
          p.plan(
              List.of(),
              null,
              Map.of("replicationSslMode", "verify_full", "replicationSslRootCert", TlsLab.ca()),
              null);

      ApplicationFailure e =
          assertThrows(
              ApplicationFailure.class,
              () -> PostgresMigrationSetup.createForward(p.connections, plan));

      assertEquals(FailureTypes.INVALID_PLAN, e.getType());
      assertTrue(
          e.getOriginalMessage().startsWith("source.options.replicationSslMode: 'verify_full'"),
          e.getOriginalMessage());
      assertEquals(0, p.srcLong("SELECT count(*) FROM pg_publication"), "nothing was created");
      assertEquals(
          0,
          p.srcLong(
              "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
    }
  }

  @Test
  void preflightFailsAReverseLinkTheDestinationCannotServe() throws Exception {
    try (PgLab.Pair p = PgLab.Pair.tls()) {
      // The machine's own cluster (5432) has ssl off: a verify-full reverse link cannot reach it.
      CutoverPlan onPlainDestination =
          withDestination(
              p.plan(List.of(), null, null, null),
              new EndpointSpec(
                  "postgres",
                  PgLab.url(5432, "postgres"),
                  "postgres",
                  null,
                  List.of(),
                  verifyFull(TlsLab.ca())));
      PreflightCheck ssl = check(p, onPlainDestination, "postgres: TLS on the destination");
      assertFalse(ssl.ok(), ssl.toString());
      assertTrue(ssl.detail().contains("ssl is off"), ssl.detail());

      CutoverPlan missingCa =
          p.plan(List.of(), null, null, verifyFull("/nonexistent/switchback/ca.pem"));
      PreflightCheck file = check(p, missingCa, "postgres: reverse link CA file on the source");
      assertFalse(file.ok(), file.toString());
      assertTrue(file.detail().contains("does not exist on the source's host"), file.detail());

      CutoverPlan good = p.plan(List.of(), null, null, verifyFull(TlsLab.ca()));
      assertTrue(check(p, good, "postgres: TLS on the destination").ok());
      assertTrue(check(p, good, "postgres: reverse link CA file on the source").ok());
    }
  }

  private static PreflightCheck check(PgLab.Pair p, CutoverPlan plan, String name) {
    List<PreflightCheck> checks = PROVIDER.preflight(p.migration(plan));
    return checks.stream()
        .filter(c -> c.check().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check '" + name + "' in " + checks));
  }

  private static CutoverPlan withDestination(CutoverPlan plan, EndpointSpec destination) {
    return new CutoverPlan(
            plan.name(),
            plan.migration(),
            plan.source(),
            destination,
            plan.migrationAccount(),
            plan.router(),
            plan.thresholds(),
            plan.gates(),
            plan.approvers(),
            plan.approvals(),
            plan.tests(),
            plan.validation(),
            plan.soak())
        .withDefaults();
  }

  /** On the publisher: the walsender of {@code subscription} runs over TLS (pg_stat_ssl). */
  private static void assertWalsenderEncrypted(int publisherPort, String subscription) {
    String tls =
        Await.until(
            "the walsender of " + subscription + " on " + publisherPort,
            Duration.ofSeconds(30),
            () -> walsenderTls(publisherPort, subscription),
            v -> v != null);
    assertTrue(tls.startsWith("true "), "walsender of " + subscription + ": ssl " + tls);
  }

  private static String walsenderTls(int port, String subscription) throws SQLException {
    try (Connection c = PgLab.connect(port, "postgres", "postgres");
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT s.ssl, s.version, s.cipher FROM pg_stat_replication r"
                    + " JOIN pg_stat_ssl s ON s.pid = r.pid WHERE r.application_name = ?")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getBoolean(1) + " " + rs.getString(2) + " " + rs.getString(3) : null;
      }
    }
  }

  /** On the subscriber: what libpq is told to enforce for the link. */
  private static void assertConninfoVerifies(int subscriberPort, String db, String subscription)
      throws SQLException {
    try (Connection c = PgLab.connect(subscriberPort, db, "postgres");
        PreparedStatement ps =
            c.prepareStatement("SELECT subconninfo FROM pg_subscription WHERE subname = ?")) {
      ps.setString(1, subscription);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "subscription " + subscription);
        String conninfo = rs.getString(1);
        assertTrue(conninfo.contains("sslmode='verify-full'"), conninfo);
        assertTrue(conninfo.contains("sslrootcert='" + TlsLab.ca() + "'"), conninfo);
      }
    }
  }
}
