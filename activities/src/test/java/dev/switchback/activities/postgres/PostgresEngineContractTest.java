package dev.switchback.activities.postgres;

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
 * The engine contract on the lab's source cluster (127.0.0.1:5433, or the port in {@code
 * SWITCHBACK_POSTGRES_SOURCE_PORT}) with the real {@link PostgresEngine}: the fence for named
 * application accounts ({@code ALTER ROLE ... IN DATABASE ... SET default_transaction_read_only =
 * on} and ending their sessions). Each run of the class gets its own database and its own
 * application and migration roles, dropped afterwards.
 *
 * <p>Public so that {@code DatabaseEngineContractCanFailTest} can run it with engines broken on
 * purpose.
 */
public class PostgresEngineContractTest extends DatabaseEngineContract {
  /** The lab's source cluster, or the port in {@code SWITCHBACK_POSTGRES_SOURCE_PORT}. */
  static final int PORT = port();

  private static String db;
  private static String app;
  private static String mig;
  private static Connections connections;

  private static int port() {
    String v = System.getenv("SWITCHBACK_POSTGRES_SOURCE_PORT");
    return v == null || v.isBlank() ? PgLab.SOURCE_PORT : Integer.parseInt(v.strip());
  }

  @BeforeAll
  static void prepareDatabase() {
    try (Connection c = PgLab.connect(PORT, "postgres", "postgres")) {
      c.isValid(2);
    } catch (SQLException e) {
      fail(PgLab.START + " (127.0.0.1:" + PORT + ": " + e.getMessage() + ")");
    }
    String id = PgLab.unique();
    db = "sbc_" + id;
    app = "sbc_app_" + id;
    mig = "sbc_mig_" + id;
    PgLab.run(PORT, "postgres", "CREATE ROLE " + app + " LOGIN");
    PgLab.run(PORT, "postgres", "CREATE ROLE " + mig + " LOGIN");
    PgLab.run(PORT, "postgres", "CREATE DATABASE " + db);
    PgLab.run(PORT, db, "CREATE TABLE sb_contract (id bigserial PRIMARY KEY, v text)");
    PgLab.run(
        PORT, db, "GRANT SELECT, INSERT, UPDATE, DELETE ON sb_contract TO " + app + ", " + mig);
    PgLab.run(PORT, db, "GRANT USAGE ON SEQUENCE sb_contract_id_seq TO " + app + ", " + mig);
    connections = new Connections(new Secrets(Map.of()));
  }

  @AfterAll
  static void dropDatabaseAndRoles() {
    if (connections != null) {
      connections.close();
      connections = null;
    }
    if (db != null) {
      // Dropping the database also drops the fence's per-database role settings.
      PgLab.run(PORT, "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      PgLab.run(PORT, "postgres", "DROP ROLE IF EXISTS " + app);
      PgLab.run(PORT, "postgres", "DROP ROLE IF EXISTS " + mig);
      db = null;
    }
  }

  private static final PostgresEngine ENGINE = new PostgresEngine();

  @Override
  protected DatabaseEngine engine() {
    return ENGINE;
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec("postgres", PgLab.url(PORT, db), "postgres", null, List.of(app), Map.of()),
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
    p.setProperty("ApplicationName", name);
    p.setProperty("connectTimeout", "5");
    return new JdbcEngineSession(
        DriverManager.getConnection(PgLab.url(PORT, db), p),
        name,
        "INSERT INTO sb_contract (v) VALUES ('" + user + "')",
        "SELECT count(*) FROM sb_contract");
  }

  /**
   * 25006 read_only_sql_transaction (a session started under the read-only default), 57P01
   * admin_shutdown and 08xxx connection errors (a session the fence ended).
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    assertTrue(
        Set.of("25006", "57P01").contains(state) || state.startsWith("08"),
        "the fence's error (25006, 57P01 or 08xxx), not " + state + ": " + e.getMessage());
  }

  @Override
  protected void assertRevokeRejection(Throwable error) {
    SQLException e = assertInstanceOf(SQLException.class, error, "a JDBC error");
    assertEquals("42501", e.getSQLState(), "permission denied, not: " + e.getMessage());
  }

  @Override
  protected void restoreMigrationAccountWrites() {
    PgLab.run(PORT, db, "GRANT SELECT, INSERT, UPDATE, DELETE ON sb_contract TO " + mig);
    PgLab.run(PORT, db, "GRANT USAGE ON SEQUENCE sb_contract_id_seq TO " + mig);
  }
}
