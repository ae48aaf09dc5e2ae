package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.JdbcEngineSession;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Jdbc;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine contract on a real SQL Server, with the default {@code deny} fence. No SQL Server can
 * run on this machine, so it runs only where {@code SWITCHBACK_SQLSERVER_URL} is set, e.g. {@code
 * jdbc:sqlserver://localhost:1433;databaseName=switchback_contract;encrypt=false} (a scratch
 * database: the test creates logins {@code sb_contract_app} and {@code sb_contract_mig}, their
 * users and a table {@code dbo.sb_contract}), with {@code SWITCHBACK_SQLSERVER_USER} (default
 * {@code sa}) and {@code SWITCHBACK_SQLSERVER_PASSWORD} for an account allowed to do that.
 */
class SqlServerEngineContractTest extends DatabaseEngineContract {
  static final String URL = System.getenv("SWITCHBACK_SQLSERVER_URL");
  static final String APP = "sb_contract_app";
  static final String MIG = "sb_contract_mig";
  static final String PASSWORD = "Sb-" + UUID.randomUUID() + "-x9";

  static Connections connections;

  @BeforeAll
  static void prepareDatabase() throws SQLException {
    if (URL == null) {
      return; // every test skips with skipReason()'s message
    }
    try (Connection admin = DriverManager.getConnection(URL, adminUser(), adminPassword())) {
      for (String login : List.of(APP, MIG)) {
        Jdbc.exec(
            admin,
            "IF SUSER_ID(N'"
                + login
                + "') IS NULL CREATE LOGIN "
                + login
                + " WITH PASSWORD = N'"
                + PASSWORD
                + "', CHECK_POLICY = OFF ELSE ALTER LOGIN "
                + login
                + " WITH PASSWORD = N'"
                + PASSWORD
                + "'");
        Jdbc.exec(
            admin,
            "IF DATABASE_PRINCIPAL_ID(N'"
                + login
                + "') IS NULL CREATE USER "
                + login
                + " FOR LOGIN "
                + login);
      }
      Jdbc.exec(
          admin,
          "IF OBJECT_ID(N'dbo.sb_contract') IS NULL CREATE TABLE dbo.sb_contract"
              + " (id int IDENTITY PRIMARY KEY, v nvarchar(50))");
      Jdbc.exec(
          admin, "GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.sb_contract TO " + APP + ", " + MIG);
    }
    connections =
        new Connections(new Secrets(Map.of("SWITCHBACK_SQLSERVER_PASSWORD", adminPassword())));
  }

  @AfterAll
  static void closeConnections() {
    if (connections != null) {
      connections.close();
    }
  }

  static String adminUser() {
    String u = System.getenv("SWITCHBACK_SQLSERVER_USER");
    return u == null ? "sa" : u;
  }

  static String adminPassword() {
    String p = System.getenv("SWITCHBACK_SQLSERVER_PASSWORD");
    return p == null ? "" : p;
  }

  /** Endpoint options; the read-only variant overrides them. */
  protected Map<String, String> options() {
    return Map.of();
  }

  @Override
  protected String skipReason() {
    return URL == null
        ? "SWITCHBACK_SQLSERVER_URL not set: SQL Server engine contract not run"
        : null;
  }

  @Override
  protected DatabaseEngine engine() {
    return new SqlServerEngine();
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec(
            "sqlserver",
            URL,
            adminUser(),
            "env:SWITCHBACK_SQLSERVER_PASSWORD",
            List.of(APP),
            options()),
        MIG,
        connections);
  }

  @Override
  protected EngineSession openApplicationSession() throws SQLException {
    return session(APP);
  }

  @Override
  protected EngineSession openMigrationSession() throws SQLException {
    return session(MIG);
  }

  private static EngineSession session(String login) throws SQLException {
    String name = "sbc-" + UUID.randomUUID().toString().substring(0, 8);
    Properties p = new Properties();
    p.setProperty("user", login);
    p.setProperty("password", PASSWORD);
    p.setProperty("applicationName", name);
    return new JdbcEngineSession(
        DriverManager.getConnection(URL, p),
        name,
        "INSERT INTO dbo.sb_contract (v) VALUES (N'" + login + "')",
        // NOLOCK: a reader must not wait on the writer's row locks (no RCSI by default).
        "SELECT COUNT(*) FROM dbo.sb_contract WITH (NOLOCK)");
  }

  /**
   * 229 permission denied (the DENY), 3906 database is read-only, 596 session in kill state, 3902
   * commit without a transaction (rolled back by KILL or ROLLBACK IMMEDIATE), and the closed
   * connection of a KILLed session (SQLState 08xxx or the driver's "connection is closed").
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    assertTrue(
        Set.of(229, 3906, 596, 3902).contains(e.getErrorCode())
            || state.startsWith("08")
            || message.contains("connection is closed")
            || message.contains("connection reset"),
        "the fence's error, not " + e.getErrorCode() + "/" + state + ": " + e.getMessage());
  }

  /** 229: the permission was denied on the object. */
  @Override
  protected void assertRevokeRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    assertTrue(e.getErrorCode() == 229, "permission denied (229), not: " + e.getMessage());
  }

  @Override
  protected void restoreMigrationAccountWrites() throws SQLException {
    try (Connection admin = DriverManager.getConnection(URL, adminUser(), adminPassword())) {
      Jdbc.exec(admin, "GRANT SELECT, INSERT, UPDATE, DELETE ON dbo.sb_contract TO " + MIG);
    }
  }
}
