package dev.switchback.activities.mysql;

import static dev.switchback.activities.mysql.MySqlLab.await;
import static dev.switchback.activities.mysql.MySqlLab.count;
import static dev.switchback.activities.mysql.MySqlLab.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.TlsLab;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The replication channels over verified TLS, against the TLS lab's MariaDB pair
 * (deploy/lab/tls.sh: 3320 source, 3321 destination, started when absent): the writer side sees the
 * replica's binlog dump session encrypted, and a channel told to trust another CA never connects.
 */
class MariaDbTlsLinkTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static MySqlLab lab;

  private final MySqlProvider provider = new MySqlProvider("mariadb");
  private final MySqlEngine engine = new MySqlEngine("mariadb");
  private String name;
  private String db;

  @BeforeAll
  static void servers() {
    lab = MySqlLab.mariadbTls();
  }

  @AfterAll
  static void close() {
    if (lab != null) {
      lab.close();
    }
  }

  @BeforeEach
  void setUp(TestInfo info) throws Exception {
    name = "t" + Integer.toHexString(info.getTestMethod().orElseThrow().getName().hashCode());
    db = "sbt_" + name;
    lab.clean(db);
    try (Connection s = lab.admin(Side.SOURCE)) {
      exec(s, "CREATE DATABASE " + db);
      exec(s, "CREATE TABLE " + db + ".t (id INT PRIMARY KEY, v VARCHAR(40))");
      exec(s, "INSERT INTO " + db + ".t VALUES (1, 'before')");
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    lab.clean(db);
  }

  private CutoverPlan plan(String sourceCa, String destinationCa) throws SQLException {
    CutoverPlan plan =
        lab.plan(
            name,
            db,
            List.of(),
            Map.of(
                "sourceSslMode",
                "verify-identity",
                "sourceSslCa",
                sourceCa,
                "destinationSslMode",
                "verify-identity",
                "destinationSslCa",
                destinationCa));
    lab.accounts(plan);
    return plan;
  }

  @Test
  void bothLinksAreEncryptedOnTheWriterSideAndVerifyTheServer() throws Exception {
    CutoverPlan plan = plan(TlsLab.ca(), TlsLab.ca());
    MigrationContext ctx = lab.migration(plan);

    MySqlMigrationSetup.createForward(lab.connections, plan, true);
    await(WAIT, "the forward instance to run", () -> running(ctx, Direction.FORWARD));
    assertDumpSessionEncrypted(Side.SOURCE);
    assertChannelVerifies(Side.DESTINATION, plan.migration().instance());

    engine.fenceWrites(lab.engine(plan, Side.SOURCE));
    String target = provider.writerPosition(ctx, Direction.FORWARD);
    await(WAIT, "the forward drain", () -> provider.drained(ctx, Direction.FORWARD, target));
    provider.pause(ctx, Direction.FORWARD);
    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(ctx, Direction.REVERSE));
    assertDumpSessionEncrypted(Side.DESTINATION);
    assertChannelVerifies(Side.SOURCE, plan.migration().reverseInstance());

    try (Connection d = lab.admin(Side.DESTINATION)) {
      exec(d, "INSERT INTO " + db + ".t VALUES (2, 'after the switch')");
    }
    await(
        WAIT,
        "the destination's write carried back over the reverse link",
        () -> {
          try (Connection s = lab.admin(Side.SOURCE)) {
            return count(s, "SELECT COUNT(*) FROM " + db + ".t WHERE id = 2") == 1;
          }
        });
  }

  @Test
  void aChannelToAServerSignedByAnotherCaNeverConnects() throws Exception {
    CutoverPlan plan = plan(TlsLab.otherCa(), TlsLab.ca());
    MigrationContext ctx = lab.migration(plan);

    MySqlMigrationSetup.createForward(lab.connections, plan, true);

    String forward = plan.migration().instance();
    await(
        WAIT,
        "the forward channel's I/O thread to refuse the source's certificate",
        () -> status(Side.DESTINATION, forward).map(s -> s.ioErrno() != 0).orElse(false));
    ReplicaStatus s = status(Side.DESTINATION, forward).orElseThrow();
    assertTrue(s.ioError().contains("SSL"), s.ioError());
    assertFalse(s.ioYes(), "connected to a server it could not verify");
    assertFalse(provider.describe(ctx, Direction.FORWARD).running());
  }

  @Test
  void aBadTlsOptionIsRefusedNamingItBeforeAnythingIsCreated() throws Exception {
    CutoverPlan plan =
        lab.plan(
            name,
            db,
            List.of(),
            Map.of("destinationSslMode", "verify-identity", "destinationSslCa", "ca.pem"));
    lab.accounts(plan);

    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class, () -> provider.createReverseIncremental(lab.migration(plan)));

    assertEquals(FailureTypes.INVALID_PLAN, e.getType());
    assertTrue(
        e.getOriginalMessage().startsWith("migration.options.destinationSslCa: 'ca.pem'"),
        e.getOriginalMessage());
    assertTrue(
        status(Side.SOURCE, plan.migration().reverseInstance()).isEmpty(),
        "no reverse channel was made");
  }

  private boolean running(MigrationContext ctx, Direction d) {
    var s = provider.describe(ctx, d);
    assertFalse("FAILED".equals(s.status()), () -> d + " instance failed: " + s.detail());
    return s.running();
  }

  private static Optional<ReplicaStatus> status(Side side, String channel) throws SQLException {
    try (Connection c = lab.admin(side)) {
      return ReplicaStatus.find(c, Dialect.of(c), channel);
    }
  }

  /** On the writer side: the replica's binlog dump session runs over TLS (its Ssl_cipher). */
  private static void assertDumpSessionEncrypted(Side writer) throws Exception {
    await(
        WAIT,
        "the migration account's binlog dump session on the " + writer.word(),
        () -> dumpCipher(writer) != null);
    String cipher = dumpCipher(writer);
    assertFalse(cipher.isEmpty(), "the binlog dump session on the " + writer.word() + " is plain");
  }

  private static String dumpCipher(Side writer) throws SQLException {
    try (Connection c = lab.admin(writer)) {
      return Sql.one(
          c,
          "SELECT s.VARIABLE_VALUE FROM information_schema.PROCESSLIST p"
              + " JOIN performance_schema.threads t ON t.PROCESSLIST_ID = p.ID"
              + " JOIN performance_schema.status_by_thread s ON s.THREAD_ID = t.THREAD_ID"
              + " WHERE p.COMMAND LIKE 'Binlog Dump%' AND p.USER = ?"
              + " AND s.VARIABLE_NAME = 'Ssl_cipher'",
          MySqlLab.MIGRATOR);
    }
  }

  /** On the replica side: the channel connects with TLS and checks the server's certificate. */
  private static void assertChannelVerifies(Side replica, String channel) throws SQLException {
    try (Connection c = lab.admin(replica)) {
      Map<String, Object> row =
          Sql.showRows(c, "SHOW SLAVE '" + channel + "' STATUS").stream().findFirst().orElseThrow();
      assertEquals("Yes", Sql.text(row, "Master_SSL_Allowed"), row.toString());
      assertEquals("Yes", Sql.text(row, "Master_SSL_Verify_Server_Cert"), row.toString());
      assertEquals(TlsLab.ca(), Sql.text(row, "Master_SSL_CA_File"), row.toString());
    }
  }
}
