package dev.switchback.activities.spi;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Jdbc;
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
 * Runs {@link DatabaseEngineContract} against the PostgreSQL server this machine runs at session
 * start (127.0.0.1:5432, trust, superuser postgres) with {@link ProbePostgresEngine}: proof that
 * the contract itself runs and passes on a real server. Its own database and roles ({@code
 * switchback_contract_probe}, {@code sb_probe_app}, {@code sb_probe_mig}) keep it apart from other
 * tests.
 */
class ProbePostgresEngineContractTest extends DatabaseEngineContract {
  static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  static final String DB = "switchback_contract_probe";
  static final String APP = "sb_probe_app";
  static final String MIG = "sb_probe_mig";

  private static Connections connections;

  @BeforeAll
  static void prepareDatabase() throws SQLException {
    try (Connection admin = DriverManager.getConnection(SERVER + "postgres", "postgres", "")) {
      if (Jdbc.query(
              admin,
              "SELECT 1 AS x FROM pg_database WHERE datname = ?",
              List.of(DB),
              c -> c.get("x"))
          .isEmpty()) {
        Jdbc.exec(admin, "CREATE DATABASE " + DB);
      }
      for (String role : List.of(APP, MIG)) {
        if (Jdbc.query(
                admin,
                "SELECT 1 AS x FROM pg_roles WHERE rolname = ?",
                List.of(role),
                c -> c.get("x"))
            .isEmpty()) {
          Jdbc.exec(admin, "CREATE ROLE " + role + " LOGIN");
        }
      }
    } catch (SQLException e) {
      throw new SQLException(
          "the contract probe needs the PostgreSQL server at 127.0.0.1:5432 (trust, superuser"
              + " postgres) that this machine runs at session start: "
              + e.getMessage(),
          e);
    }
    try (Connection db = DriverManager.getConnection(SERVER + DB, "postgres", "")) {
      Jdbc.exec(db, "CREATE TABLE IF NOT EXISTS probe (id bigserial PRIMARY KEY, v text)");
      Jdbc.exec(
          db, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + APP);
      Jdbc.exec(
          db, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + MIG);
      Jdbc.exec(db, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + APP + ", " + MIG);
    }
    connections = new Connections(new Secrets(Map.of()));
  }

  @AfterAll
  static void closeConnections() {
    if (connections != null) {
      connections.close();
    }
  }

  @Override
  protected DatabaseEngine engine() {
    return new ProbePostgresEngine();
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec("postgres", SERVER + DB, "postgres", null, List.of(APP), Map.of()),
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

  private static EngineSession session(String user) throws SQLException {
    String name = "sbc-" + UUID.randomUUID().toString().substring(0, 8);
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("ApplicationName", name);
    return new JdbcEngineSession(
        DriverManager.getConnection(SERVER + DB, p),
        name,
        "INSERT INTO probe (v) VALUES ('" + user + "')",
        "SELECT count(*) FROM probe");
  }

  /**
   * 42501 insufficient_privilege (the REVOKE), 57P01 admin_shutdown and 08xxx connection errors
   * (the terminated backend).
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    assertTrue(
        Set.of("42501", "57P01").contains(state) || state.startsWith("08"),
        "the fence's error (42501, 57P01 or 08xxx), not " + state + ": " + e.getMessage());
  }
}
