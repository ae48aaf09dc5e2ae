package dev.switchback.activities.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The subscription's connection string, built from the other endpoint's JDBC URL. */
class PostgresEndpointTest {

  private static EndpointSpec spec(
      String url, String user, String password, Map<String, String> o) {
    return new EndpointSpec("postgres", url, user, password, List.of(), o).withDefaults();
  }

  @Test
  void conninfoCarriesTheResolvedPasswordQuotedForLibpq() {
    PgEndpoint e =
        PgEndpoint.of(
            "destination",
            spec("jdbc:postgresql://db.internal:6543/shop?sslmode=require", "sw", "env:PW", null));
    String conninfo = e.conninfo(new Secrets(Map.of("PW", "it's a \\secret")));
    assertEquals(
        "host='db.internal' port=6543 dbname='shop' user='sw' password='it\\'s a \\\\secret'",
        conninfo);
    assertFalse(e.describe().contains("secret"), e.describe());
  }

  @Test
  void userComesFromTheUrlWhenThePlanNamesNoneAndReplicationHostOverrides() {
    PgEndpoint e =
        PgEndpoint.of(
            "source",
            spec(
                "jdbc:postgresql://127.0.0.1/app?user=admin",
                null,
                null,
                Map.of("replicationHost", "pg-source", "replicationPort", "5433")));
    assertEquals("admin", e.user());
    assertEquals(5432, e.port());
    assertEquals(
        "host='pg-source' port=5433 dbname='app' user='admin'", e.conninfo(new Secrets(Map.of())));
  }

  @Test
  void conninfoCarriesTheLinksTlsOptionsAndTheJdbcUrlsDoNotLeakIntoIt() {
    PgEndpoint e =
        PgEndpoint.of(
            "source",
            spec(
                "jdbc:postgresql://10.0.0.5/app?sslmode=verify-full&sslrootcert=/worker/ca.pem",
                "sw",
                null,
                Map.of(
                    "replicationSslMode",
                    "Verify-Full",
                    "replicationSslRootCert",
                    "/etc/postgresql/ssl/source's ca.pem")));
    assertEquals(
        "host='10.0.0.5' port=5432 dbname='app' user='sw' sslmode='verify-full'"
            + " sslrootcert='/etc/postgresql/ssl/source\\'s ca.pem'",
        e.conninfo(new Secrets(Map.of())));
    assertTrue(
        e.describe()
            .endsWith("sslmode='verify-full' sslrootcert='/etc/postgresql/ssl/source\\'s ca.pem'"),
        e.describe());
    assertEquals(
        "host='10.0.0.5' port=5432 dbname='app' user='sw'",
        PgEndpoint.of(
                "source",
                spec("jdbc:postgresql://10.0.0.5/app?sslmode=verify-full", "sw", null, null))
            .conninfo(new Secrets(Map.of())),
        "the worker's sslmode and paths are not the subscriber's");
  }

  @Test
  void badTlsOptionsAreRefusedNamingTheOptionAndTheFix() {
    Map<Map<String, String>, String> bad =
        Map.of(
            Map.of("replicationSslMode", "verify_full"),
            "destination.options.replicationSslMode: 'verify_full' is not a libpq sslmode; use"
                + " verify-full",
            Map.of("replicationSslMode", "require", "replicationSslRootCert", "/ca.pem"),
            "destination.options.replicationSslRootCert: is read only when the server is"
                + " verified, and destination.options.replicationSslMode is require; set"
                + " destination.options.replicationSslMode: verify-full",
            Map.of("replicationSslRootCert", "/ca.pem"),
            "destination.options.replicationSslRootCert: is read only when the server is"
                + " verified, and destination.options.replicationSslMode is not set",
            Map.of("replicationSslMode", "verify-ca", "replicationSslRootCert", "certs/ca.pem"),
            "destination.options.replicationSslRootCert: 'certs/ca.pem' is not an absolute path;"
                + " give the CA certificate's path on the host of the server that subscribes to"
                + " the destination");
    bad.forEach(
        (options, message) -> {
          ApplicationFailure e =
              assertThrows(
                  ApplicationFailure.class,
                  () ->
                      PgEndpoint.of(
                          "destination", spec("jdbc:postgresql://h/db", "u", null, options)));
          assertEquals(FailureTypes.INVALID_PLAN, e.getType());
          assertTrue(e.getOriginalMessage().startsWith(message), e.getOriginalMessage());
        });
  }

  @Test
  void badUrlsAreRefusedNamingTheField() {
    for (String url :
        List.of(
            "jdbc:mysql://h/db",
            "jdbc:postgresql://h1:5432,h2:5432/db",
            "jdbc:postgresql://h:5432/")) {
      ApplicationFailure e =
          assertThrows(
              ApplicationFailure.class, () -> PgEndpoint.of("source", spec(url, "u", null, null)));
      assertEquals(FailureTypes.INVALID_PLAN, e.getType());
      assertTrue(e.isNonRetryable());
      assertTrue(e.getOriginalMessage().startsWith("source.url:"), e.getOriginalMessage());
    }
    ApplicationFailure noUser =
        assertThrows(
            ApplicationFailure.class,
            () -> PgEndpoint.of("destination", spec("jdbc:postgresql://h/db", null, null, null)));
    assertTrue(noUser.getOriginalMessage().startsWith("destination.user:"));
  }
}
