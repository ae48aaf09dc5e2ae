package dev.switchback.activities.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.spi.Transport.Protection;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How PostgreSQL connections are judged: the worker's URL as pgjdbc reads it, a subscription's. */
class PgTransportTest {

  @Test
  void theWorkersUrlIsJudgedAsPgjdbcReadsIt() {
    Map<String, Protection> urls =
        Map.of(
            "jdbc:postgresql://db/app",
            Protection.PLAINTEXT,
            "jdbc:postgresql://db/app?sslmode=disable",
            Protection.PLAINTEXT,
            "jdbc:postgresql://db/app?sslmode=prefer",
            Protection.PLAINTEXT,
            "jdbc:postgresql://db/app?sslmode=require",
            Protection.UNVERIFIED,
            "jdbc:postgresql://db/app?sslmode=verify-ca",
            Protection.VERIFIED,
            "jdbc:postgresql://db/app?sslmode=verify-full&sslrootcert=/ca.pem",
            Protection.VERIFIED,
            "jdbc:postgresql://db/app?ssl=true",
            Protection.VERIFIED,
            "jdbc:postgresql://db/app?sslmode=verify-full"
                + "&sslfactory=org.postgresql.ssl.NonValidatingFactory",
            Protection.UNVERIFIED,
            "jdbc:postgresql://db/app?sslmode=bogus",
            Protection.UNKNOWN);
    urls.forEach(
        (url, expected) ->
            assertEquals(expected, PgTransport.url("source", url).protection(), url));
    Transport plain = PgTransport.url("source", "jdbc:postgresql://db/app");
    assertTrue(plain.detail().startsWith("source.url has no sslmode"), plain.detail());
    assertTrue(plain.detail().contains("add sslmode=verify-full"), "names the fix");
  }

  @Test
  void aSubscriptionsConninfoYieldsItsTlsKeywordsAndNoPassword() {
    Map<String, String> tls =
        PgTransport.tlsOf(
            "host='pg-a' port=5433 dbname=app user=sw password='it\\'s secret'"
                + " sslmode = 'VERIFY-FULL' sslrootcert='/etc/ca dir/ca.pem'");
    assertEquals(
        Map.of(
            "host",
            "pg-a",
            "port",
            "5433",
            "sslmode",
            "verify-full",
            "sslrootcert",
            "/etc/ca dir/ca.pem"),
        tls);
    assertEquals(
        Map.of("host", "pg-b", "port", "6432", "sslmode", "require"),
        PgTransport.tlsOf("postgresql://sw:secret@pg-b:6432/app?sslmode=require&password=x"));
    assertEquals(Map.of("host", "h"), PgTransport.tlsOf("host=h password=p"));
    assertNull(PgTransport.tlsOf("host='unterminated"), "unreadable: unknown, never guessed");
  }

  @Test
  void aLinkIsVerifiedOnlyWithVerifyCaOrVerifyFull() {
    assertEquals(
        Protection.PLAINTEXT,
        PgTransport.link("l", "sub", "source", null, null, "fix").protection());
    assertEquals(
        Protection.PLAINTEXT,
        PgTransport.link("l", "sub", "source", "prefer", null, "fix").protection());
    assertEquals(
        Protection.UNVERIFIED,
        PgTransport.link("l", "sub", "source", "require", null, "fix").protection());
    Transport ca = PgTransport.link("l", "sub", "source", "verify-ca", "/ca.pem", "fix");
    assertEquals(Protection.VERIFIED, ca.protection());
    assertTrue(ca.detail().contains("host name is not"), ca.detail());
    Transport full = PgTransport.link("l", "sub", "source", "verify-full", null, "fix");
    assertTrue(full.verified());
    assertFalse(full.detail().contains("fix"), "a verified link needs no fix: " + full.detail());
  }
}
