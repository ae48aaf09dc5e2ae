package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DialectTest {

  @Test
  void mariaDbIsRecognisedFromItsVersionString() {
    Dialect d = Dialect.parse("10.11.19-MariaDB-0+deb12u1");
    assertEquals(Dialect.Flavor.MARIADB, d.flavor());
    assertEquals("START SLAVE 'fwd'", d.startReplica("fwd"));
    assertEquals("RESET SLAVE 'fwd' ALL", d.resetReplicaAll("fwd"));
    assertEquals("SHOW ALL SLAVES STATUS", d.showAllReplicas());
    assertEquals("SELECT @@GLOBAL.gtid_binlog_pos", d.writerPositionQuery());
    assertEquals("read_only", d.fenceVariable());
    assertTrue(
        d.changeSource("fwd", "'h'", 3307, "'u'", "'p'")
            .startsWith("CHANGE MASTER 'fwd' TO MASTER_HOST='h', MASTER_PORT=3307"));
    assertTrue(
        d.changeSource("fwd", "'h'", 3307, "'u'", "'p'").contains("MASTER_USE_GTID=slave_pos"));
    assertEquals(
        "SET GLOBAL `fwd`.replicate_wild_do_table = 'a.%,b.%'", d.filter("fwd", List.of("a", "b")));
  }

  @Test
  void mariaDbFenceExemptionsFollowTheServerVersion() {
    assertEquals(
        Set.of("READ_ONLY ADMIN"), Dialect.parse("10.11.6-MariaDB").fenceExemptPrivileges());
    assertEquals(
        Set.of("READ_ONLY ADMIN"), Dialect.parse("11.4.2-MariaDB").fenceExemptPrivileges());
    assertEquals(
        Set.of("READ_ONLY ADMIN", "SUPER"),
        Dialect.parse("10.6.18-MariaDB").fenceExemptPrivileges());
    assertEquals(Set.of("SUPER"), Dialect.parse("10.4.30-MariaDB").fenceExemptPrivileges());
  }

  @Test
  void mysql80UsesTheNewWordsFrom8023AndTheOldOnesBefore() {
    Dialect recent = Dialect.parse("8.0.36");
    assertEquals(Dialect.Flavor.MYSQL_8_0, recent.flavor());
    assertTrue(
        recent
            .changeSource("fwd", "'h'", 3306, "'u'", "'p'")
            .startsWith("CHANGE REPLICATION SOURCE TO SOURCE_HOST='h'"));
    assertTrue(
        recent.changeSource("fwd", "'h'", 3306, "'u'", "'p'").endsWith(" FOR CHANNEL 'fwd'"));
    assertEquals("START REPLICA FOR CHANNEL 'fwd'", recent.startReplica("fwd"));
    assertEquals("SELECT @@GLOBAL.gtid_executed", recent.writerPositionQuery());
    assertEquals("super_read_only", recent.fenceVariable());
    assertEquals(Set.of(), recent.fenceExemptPrivileges());

    Dialect old = Dialect.parse("8.0.21-log");
    assertTrue(old.changeSource("fwd", "'h'", 3306, "'u'", "'p'").startsWith("CHANGE MASTER TO"));
    assertTrue(
        old.changeSource("fwd", "'h'", 3306, "'u'", "'p'").contains("MASTER_AUTO_POSITION=1"));
    assertEquals("START SLAVE FOR CHANNEL 'fwd'", old.startReplica("fwd"));
    assertEquals("SHOW SLAVE STATUS", old.showAllReplicas());
    assertEquals("information_schema.PROCESSLIST", old.processlist(true));
  }

  @Test
  void mysql84AndLaterUseOnlyTheNewWords() {
    for (String v : List.of("8.4.3", "9.1.0")) {
      Dialect d = Dialect.parse(v);
      assertEquals(Dialect.Flavor.MYSQL_8_4, d.flavor());
      assertEquals("STOP REPLICA FOR CHANNEL 'fwd'", d.stopReplica("fwd"));
      assertEquals("RESET REPLICA ALL FOR CHANNEL 'fwd'", d.resetReplicaAll("fwd"));
      assertEquals("SHOW REPLICA STATUS", d.showAllReplicas());
      assertEquals("performance_schema.processlist", d.processlist(true));
      assertEquals(
          "CHANGE REPLICATION FILTER REPLICATE_WILD_DO_TABLE = ('app.%') FOR CHANNEL 'fwd'",
          d.filter("fwd", List.of("app")));
      assertTrue(d.changeSource("fwd", "'h'", 1, "'u'", "'p'").contains("SOURCE_AUTO_POSITION=1"));
    }
  }

  @Test
  void unsupportedServersAreRefusedWithTheReason() {
    for (String v : List.of("5.7.44-log", "10.2.44-MariaDB", "not a version")) {
      ApplicationFailure e = assertThrows(ApplicationFailure.class, () -> Dialect.parse(v));
      assertEquals(FailureTypes.INVALID_PLAN, e.getType());
      assertTrue(e.isNonRetryable());
      assertTrue(e.getOriginalMessage().contains(v), e.getOriginalMessage());
    }
  }

  private static MySqlOptions.Tls tls(String mode, String ca, boolean key) {
    return new MySqlOptions.Tls("destination", mode, ca, key);
  }

  @Test
  void theLinksTlsIsWrittenOutAndThePublicKeyFetchedOnlyWhenAsked() {
    Dialect maria = Dialect.parse("10.11.19-MariaDB");
    String verified =
        maria.changeSource(
            "rev", "'h'", 3307, "'u'", "'p'", tls("verify-identity", "/ca.pem", true), "'/ca.pem'");
    assertTrue(
        verified.endsWith(
            ", MASTER_SSL=1, MASTER_SSL_CA='/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1"),
        verified + ": MariaDB has no public key option");
    assertTrue(
        maria
            .changeSource(
                "rev", "'h'", 3307, "'u'", "'p'", tls("verify-ca", "/ca.pem", false), "'/ca.pem'")
            .endsWith(", MASTER_SSL=1, MASTER_SSL_CA='/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=0"));
    assertTrue(
        maria
            .changeSource("rev", "'h'", 3307, "'u'", "'p'", tls("required", null, false), null)
            .endsWith(", MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0"));
    assertTrue(
        maria
            .changeSource("rev", "'h'", 3307, "'u'", "'p'", tls("disabled", null, false), null)
            .endsWith(", MASTER_SSL=0"));
    assertFalse(maria.changeSource("rev", "'h'", 3307, "'u'", "'p'").contains("SSL"));

    Dialect mysql = Dialect.parse("8.4.3");
    assertTrue(
        mysql
            .changeSource(
                "rev",
                "'h'",
                3306,
                "'u'",
                "'p'",
                tls("verify-identity", "/ca.pem", false),
                "'/ca.pem'")
            .endsWith(
                ", SOURCE_SSL=1, SOURCE_SSL_CA='/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1"
                    + " FOR CHANNEL 'rev'"));
    assertFalse(
        mysql.changeSource("rev", "'h'", 3306, "'u'", "'p'").contains("PUBLIC_KEY"),
        "the server's key is fetched only when the plan asks: whoever answers could hand out theirs");
    assertTrue(
        mysql
            .changeSource("rev", "'h'", 3306, "'u'", "'p'", tls(null, null, true), null)
            .contains(", GET_SOURCE_PUBLIC_KEY=1 FOR CHANNEL"));
    assertTrue(
        Dialect.parse("8.0.21")
            .changeSource("rev", "'h'", 3306, "'u'", "'p'", tls("required", null, true), null)
            .contains(", MASTER_SSL=1, MASTER_SSL_VERIFY_SERVER_CERT=0, GET_MASTER_PUBLIC_KEY=1"));
  }
}
