package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.spi.Transport.Protection;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's MySQL/MariaDB URLs as the driver that opens them reads them; a plan's links. */
class MySqlTransportTest {

  @Test
  void urlsAreJudgedByTheirOwnDriver() {
    Map<String, Protection> urls =
        Map.ofEntries(
            Map.entry("jdbc:mariadb://db/app", Protection.PLAINTEXT),
            Map.entry("jdbc:mariadb://db/app?sslMode=trust", Protection.UNVERIFIED),
            Map.entry(
                "jdbc:mariadb://db/app?useSsl=true&trustServerCertificate=true",
                Protection.UNVERIFIED),
            Map.entry("jdbc:mariadb://db/app?useSsl=true", Protection.VERIFIED),
            Map.entry("jdbc:mariadb://db/app?sslMode=verify-ca", Protection.VERIFIED),
            Map.entry("jdbc:mariadb://db/app?sslMode=VERIFY_IDENTITY", Protection.VERIFIED),
            Map.entry("jdbc:mysql://db/app", Protection.PLAINTEXT),
            Map.entry("jdbc:mysql://db/app?useSSL=true", Protection.PLAINTEXT),
            Map.entry("jdbc:mysql://db/app?sslMode=REQUIRED", Protection.UNVERIFIED),
            Map.entry("jdbc:mysql://db/app?sslMode=VERIFY_CA", Protection.VERIFIED),
            Map.entry("jdbc:mysql://db/app?sslMode=VERIFY_IDENTITY", Protection.VERIFIED),
            Map.entry("jdbc:mysql://db/app?sslMode=bogus", Protection.UNKNOWN));
    urls.forEach(
        (url, expected) ->
            assertEquals(expected, MySqlTransport.url("source", url).protection(), url));
    Transport mysql = MySqlTransport.url("destination", "jdbc:mysql://db/app?useSSL=true");
    assertTrue(mysql.detail().contains("sslMode PREFERRED"), mysql.detail());
    assertTrue(mysql.detail().contains("sslMode=VERIFY_IDENTITY to destination.url"), "fix");
  }

  @Test
  void aPlannedLinkIsVerifiedOnlyWithACa() {
    MySqlOptions.Address to = new MySqlOptions.Address("db-a", 3306);
    Transport none =
        MySqlTransport.planned(
            "forward link", "channel 'fwd'", to, new MySqlOptions.Tls("source", null, null, false));
    assertEquals(Protection.PLAINTEXT, none.protection());
    assertTrue(
        none.detail().contains("set migration.options.sourceSslMode: verify-identity"),
        none.detail());
    assertEquals(
        Protection.UNVERIFIED,
        MySqlTransport.planned(
                "l", "c", to, new MySqlOptions.Tls("source", "required", null, false))
            .protection());
    Transport ca =
        MySqlTransport.planned(
            "l", "c", to, new MySqlOptions.Tls("destination", "verify-ca", "/ca.pem", false));
    assertEquals(Protection.VERIFIED, ca.protection());
    assertTrue(ca.detail().contains("not its host name"), ca.detail());
  }
}
