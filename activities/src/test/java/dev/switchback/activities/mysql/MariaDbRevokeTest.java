package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finalize's revoke of the migration account against the real MariaDB on 127.0.0.1:3306 (root
 * without password; {@code SWITCHBACK_MARIADB_URL} names another server): each way the account kept
 * writing after the old revoke (issue 11, item 4) is set up, and the revoke must either remove it
 * or fail naming it. Each test has its own database, accounts and roles with a random suffix,
 * created and dropped outside the binary log.
 */
class MariaDbRevokeTest {
  static final String SERVER = server();
  private static final String PASSWORD = "sbrv-" + UUID.randomUUID();
  private static final MySqlEngine ENGINE = new MySqlEngine("mariadb");
  private static Connections connections;

  private final List<String> drops = new ArrayList<>();
  private final List<Connection> sessions = new ArrayList<>();
  private String id;
  private String db;
  private String mig;

  private static String server() {
    String v = System.getenv("SWITCHBACK_MARIADB_URL");
    return v == null || v.isBlank() ? "jdbc:mariadb://127.0.0.1:3306/" : v;
  }

  @BeforeAll
  static void connections() {
    connections = new Connections(new Secrets(Map.of()));
  }

  @AfterAll
  static void closeConnections() {
    connections.close();
  }

  @BeforeEach
  void database() throws SQLException {
    id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    db = "sbrv_" + id;
    mig = "sbrv_mig_" + id;
    admin("CREATE DATABASE " + db);
    drops.add("DROP DATABASE IF EXISTS " + db);
    admin("CREATE TABLE " + db + ".t (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT, w TEXT)");
    user(mig, "%");
    admin("GRANT SELECT ON " + db + ".* TO '" + mig + "'@'%'");
  }

  @AfterEach
  void drop() throws SQLException {
    for (Connection s : sessions) {
      s.close();
    }
    for (String d : drops) {
      admin(d);
    }
  }

  @Test
  void aMistypedAccountFailsInsteadOfFindingNothingToRevoke() {
    String typo = mig + "_typo";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> ENGINE.revokeWrite(context(), typo));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(
        f.getOriginalMessage().startsWith("migrationAccount.user: '" + typo + "' does not exist"),
        f.getMessage());
  }

  @Test
  void aDefaultRoleThatWritesIsRevokedAndCannotBeSetAgain() throws Exception {
    String role = "sbrv_writer_" + id;
    admin("CREATE ROLE " + role);
    drops.add(0, "DROP ROLE IF EXISTS " + role);
    admin("GRANT INSERT, UPDATE ON " + db + ".* TO " + role);
    admin("GRANT " + role + " TO '" + mig + "'@'%'");
    admin("SET DEFAULT ROLE " + role + " FOR '" + mig + "'@'%'");
    exec(session(), "INSERT INTO " + db + ".t (v) VALUES ('through the role')");

    String done = revoke();

    Connection after = session();
    assertDenied(after, "INSERT INTO " + db + ".t (v) VALUES ('after')");
    assertThrows(SQLException.class, () -> exec(after, "SET ROLE " + role), done);
    assertTrue(done.contains("role `" + role + "` from '" + mig + "'@'%'"), done);
  }

  @Test
  void columnGrantsAreRevoked() throws Exception {
    admin("GRANT INSERT (v), UPDATE (w) ON " + db + ".t TO '" + mig + "'@'%'");
    exec(session(), "INSERT INTO " + db + ".t (v) VALUES ('column grant')");

    String done = revoke();

    Connection after = session();
    assertDenied(after, "INSERT INTO " + db + ".t (v) VALUES ('after')");
    assertDenied(after, "UPDATE " + db + ".t SET w = 'after'");
    assertTrue(done.contains("INSERT (`v`), UPDATE (`w`) ON `" + db + "`.`t`"), done);
  }

  @Test
  void anOpenSessionCannotWriteOnAfterTheRevoke() throws Exception {
    // A database-level privilege is read when the session selects the database: revoking it does
    // not reach a session already connected to that database.
    admin("GRANT INSERT ON " + db + ".* TO '" + mig + "'@'%'");
    Connection open = session(db);
    exec(open, "INSERT INTO t (v) VALUES ('before')");
    Connection openTransaction = session(db);
    openTransaction.setAutoCommit(false);
    exec(openTransaction, "INSERT INTO t (v) VALUES ('uncommitted')");

    String done = revoke();

    assertThrows(SQLException.class, () -> exec(open, "INSERT INTO t (v) VALUES ('after')"));
    assertThrows(SQLException.class, openTransaction::commit);
    assertEquals(1, count("SELECT COUNT(*) FROM " + db + ".t"), done);
    assertTrue(done.contains("ended 2 session(s)"), done);
  }

  @Test
  void routineGrantsAndGlobalWritePrivilegesAreRevoked() throws Exception {
    admin(
        "CREATE DEFINER = root@localhost PROCEDURE "
            + db
            + ".add_row() SQL SECURITY DEFINER INSERT INTO "
            + db
            + ".t (v) VALUES ('by the definer')");
    admin("GRANT EXECUTE ON PROCEDURE " + db + ".add_row TO '" + mig + "'@'%'");
    admin("GRANT SUPER, CREATE USER ON *.* TO '" + mig + "'@'%'");
    drops.add("DROP USER IF EXISTS 'sbrv_other_" + id + "'@'%'");
    exec(session(), "CALL " + db + ".add_row()");

    String done = revoke();

    Connection after = session();
    assertDenied(after, "CALL " + db + ".add_row()");
    assertDenied(after, "CREATE USER 'sbrv_other_" + id + "'@'%'");
    assertTrue(done.contains("EXECUTE ON PROCEDURE `" + db + "`.`add_row`"), done);
    assertTrue(done.contains("SUPER, CREATE USER ON *.*"), done);
  }

  @Test
  void everyHostOfTheUserIsRevoked() throws Exception {
    user(mig, "localhost");
    admin("GRANT INSERT ON " + db + ".* TO '" + mig + "'@'%'");
    admin("GRANT INSERT, DELETE ON " + db + ".* TO '" + mig + "'@'localhost'");

    String done = revoke();

    assertTrue(done.contains("INSERT ON `" + db + "`.* from '" + mig + "'@'%'"), done);
    assertTrue(
        done.contains("INSERT, DELETE ON `" + db + "`.* from '" + mig + "'@'localhost'"), done);
    assertTrue(done.endsWith("no write path left"), done);
  }

  @Test
  void aWriteGrantedToPublicFailsTheRevokeNamingPublic() throws Exception {
    admin("GRANT INSERT ON " + db + ".* TO PUBLIC");
    drops.add(0, "REVOKE INSERT ON " + db + ".* FROM PUBLIC");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(
        f.getOriginalMessage().contains("INSERT ON `" + db + "`.* granted to PUBLIC"),
        f.getMessage());
  }

  @Test
  void anAnonymousAccountThatWritesFailsTheRevoke() throws Exception {
    // A host nobody connects from, so that no other login on this server is matched to it.
    String host = "sbrv-" + id + ".invalid";
    admin("CREATE USER ''@'" + host + "'");
    drops.add(0, "DROP USER IF EXISTS ''@'" + host + "'");
    admin("GRANT INSERT ON " + db + ".* TO ''@'" + host + "'");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertTrue(
        f.getOriginalMessage().contains("anonymous account ''@'" + host + "' holds INSERT"),
        f.getMessage());
  }

  @Test
  void aRevokeWithNothingLeftPassesKeepsReadsAndRepeatsTheSame() throws Exception {
    admin("GRANT INSERT, UPDATE, DELETE ON " + db + ".* TO '" + mig + "'@'%'");

    String first = revoke();
    String second = revoke();

    assertTrue(first.endsWith("no write path left"), first);
    assertTrue(second.contains("no write privilege to revoke"), second);
    assertEquals(0, count(session(), "SELECT COUNT(*) FROM " + db + ".t"));
  }

  // ---- fixture ----

  private String revoke() {
    return ENGINE.revokeWrite(context(), mig);
  }

  private EngineContext context() {
    return DatabaseEngineContract.contextFor(
        new EndpointSpec("mariadb", SERVER, "root", null, List.of(), Map.of()), mig, connections);
  }

  private void user(String name, String host) throws SQLException {
    admin("CREATE USER '" + name + "'@'" + host + "' IDENTIFIED BY '" + PASSWORD + "'");
    drops.add("DROP USER IF EXISTS '" + name + "'@'" + host + "'");
  }

  private Connection session() throws SQLException {
    return session("");
  }

  private Connection session(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", mig);
    p.setProperty("password", PASSWORD);
    p.setProperty("connectTimeout", "5000");
    Connection c = DriverManager.getConnection(SERVER + database, p);
    sessions.add(c);
    return c;
  }

  private static void admin(String sql) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "root");
    p.setProperty("connectTimeout", "5000");
    try (Connection c = DriverManager.getConnection(SERVER, p)) {
      exec(c, "SET SESSION sql_log_bin = 0");
      exec(c, sql);
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
        fail("MariaDB at " + SERVER + " (root, no password) is needed: " + e.getMessage());
      }
      throw e;
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** 1142 table command denied, 1370 routine denied, 1227 access denied (needs a privilege). */
  private static void assertDenied(Connection c, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> exec(c, sql), sql);
    assertTrue(
        List.of(1142, 1143, 1370, 1227).contains(e.getErrorCode()),
        sql + ": " + e.getErrorCode() + " " + e.getMessage());
  }

  private long count(String sql) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "root");
    try (Connection c = DriverManager.getConnection(SERVER, p)) {
      return count(c, sql);
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
