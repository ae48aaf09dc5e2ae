package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.JdbcEngineSession;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine contract on the lab's MariaDB source (127.0.0.1:3307, or {@code
 * SWITCHBACK_MARIADB_SOURCE_URL}) with the real {@link MySqlEngine} for {@code mariadb}: the fence
 * is {@code SET GLOBAL read_only = ON} plus a KILL of the application's open write transactions.
 * Each run of the class gets its own database and its own application and migration accounts,
 * created and dropped outside the binary log so that no replication channel carries them.
 */
class MariaDbEngineContractTest extends DatabaseEngineContract {
  static final String SERVER = serverUrl();
  static final String PASSWORD = "sbc-" + UUID.randomUUID();

  private static String db;
  private static String app;
  private static String mig;
  private static Connections connections;

  private static String serverUrl() {
    String v = System.getenv("SWITCHBACK_MARIADB_SOURCE_URL");
    return v == null || v.isBlank() ? "jdbc:mariadb://127.0.0.1:3307/" : v;
  }

  @BeforeAll
  static void prepareDatabase() throws SQLException {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    try (Connection admin = admin()) {
      db = "sbc_" + id;
      app = "sbc_app_" + id;
      mig = "sbc_mig_" + id;
      MySqlLab.exec(admin, "SET SESSION sql_log_bin = 0");
      MySqlLab.exec(admin, "CREATE DATABASE " + db);
      MySqlLab.exec(
          admin,
          "CREATE TABLE " + db + ".sb_contract (id BIGINT AUTO_INCREMENT PRIMARY KEY, v TEXT)");
      for (String user : List.of(app, mig)) {
        MySqlLab.exec(admin, "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + PASSWORD + "'");
        MySqlLab.exec(
            admin, "GRANT SELECT, INSERT, UPDATE, DELETE ON " + db + ".* TO '" + user + "'@'%'");
      }
    }
    connections = new Connections(new Secrets(Map.of()));
  }

  @AfterAll
  static void dropDatabaseAndAccounts() throws SQLException {
    if (connections != null) {
      connections.close();
      connections = null;
    }
    if (db == null) {
      return;
    }
    try (Connection admin = admin()) {
      MySqlLab.exec(admin, "SET SESSION sql_log_bin = 0");
      // A fence a failed test left up would stop every other test on this server.
      MySqlLab.exec(admin, "SET GLOBAL read_only = OFF");
      MySqlLab.exec(admin, "DROP DATABASE IF EXISTS " + db);
      MySqlLab.exec(admin, "DROP USER IF EXISTS '" + app + "'@'%'");
      MySqlLab.exec(admin, "DROP USER IF EXISTS '" + mig + "'@'%'");
      db = null;
    }
  }

  private static Connection admin() {
    Properties p = new Properties();
    p.setProperty("user", "root");
    p.setProperty("connectTimeout", "5000");
    try {
      return DriverManager.getConnection(SERVER, p);
    } catch (SQLException e) {
      return fail(
          "start the lab: deploy/lab/lab.sh start mariadb ("
              + SERVER
              + ": "
              + e.getMessage()
              + ")");
    }
  }

  private static final MySqlEngine ENGINE = new MySqlEngine("mariadb");

  @Override
  protected DatabaseEngine engine() {
    return ENGINE;
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec("mariadb", SERVER, "root", null, List.of(app), Map.of()),
        mig,
        connections);
  }

  @Override
  protected EngineSession openApplicationSession() throws SQLException {
    return session(app);
  }

  @Override
  protected EngineSession openMigrationSession() throws SQLException {
    return session(mig);
  }

  private static EngineSession session(String user) throws SQLException {
    String name = "sbc-" + UUID.randomUUID().toString().substring(0, 8);
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", PASSWORD);
    p.setProperty("connectTimeout", "5000");
    // performance_schema.session_connect_attrs.program_name, which the engine reports as the
    // session's application (the lab runs with performance_schema on).
    p.setProperty("connectionAttributes", "program_name:" + name);
    return new JdbcEngineSession(
        DriverManager.getConnection(SERVER, p),
        name,
        "INSERT INTO " + db + ".sb_contract (v) VALUES ('" + user + "')",
        "SELECT COUNT(*) FROM " + db + ".sb_contract");
  }

  /**
   * MariaDB's read_only stops every client account that lacks READ ONLY ADMIN (10.11: SUPER no
   * longer implies it); only replication threads and holders of that privilege write through. The
   * migration instance here is GTID replication, whose applier is a replication thread, and its
   * account holds only REPLICATION SLAVE/CLIENT: a migration account writing as an ordinary client
   * is stopped like the application, which this asserts. Granting it READ ONLY ADMIN would let it
   * through, and would equally let through any application session that used it.
   */
  @Override
  protected boolean migrationAccountWritesUnderFence() {
    return false;
  }

  /**
   * 1290 ER_OPTION_PREVENTS_STATEMENT (--read-only), 1927 ER_CONNECTION_KILLED and 70100
   * (interrupted), and 08xxx for the connection of a session the fence KILLed.
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    assertTrue(
        Set.of(1290, 1927).contains(e.getErrorCode())
            || state.startsWith("08")
            || state.equals("70100"),
        "the fence's error, not " + e.getErrorCode() + "/" + state + ": " + e.getMessage());
  }

  /** 1142: INSERT command denied to the user. */
  @Override
  protected void assertRevokeRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    assertEquals(1142, e.getErrorCode(), "command denied, not: " + e.getMessage());
  }

  @Override
  protected void restoreMigrationAccountWrites() throws SQLException {
    try (Connection admin = admin()) {
      MySqlLab.exec(admin, "SET SESSION sql_log_bin = 0");
      MySqlLab.exec(
          admin, "GRANT SELECT, INSERT, UPDATE, DELETE ON " + db + ".* TO '" + mig + "'@'%'");
    }
  }
}
