package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SQL plumbing shared by the PostgreSQL provider, setup and engine. */
final class Pg {
  /** Schemas that hold no application data; never fenced, revoked or synced. */
  static final String SYSTEM_SCHEMA_FILTER =
      "n.nspname NOT IN ('pg_catalog', 'information_schema')"
          + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

  // SQLSTATEs this package reacts to.
  static final String INSUFFICIENT_PRIVILEGE = "42501";
  static final String DUPLICATE_OBJECT = "42710";
  static final String UNDEFINED_OBJECT = "42704";
  static final String OBJECT_IN_USE = "55006";
  static final String READ_ONLY_TRANSACTION = "25006";

  // pg_terminate_backend(pid, timeout) waits up to this long for each session to be gone.
  static final long TERMINATE_TIMEOUT_MS = 5_000;
  // Longer than a local backend's startup (fork to visible in pg_stat_activity), short enough
  // not to lengthen the write outage much.
  private static final long STARTUP_GRACE_MS = 150;

  private static final Logger log = LoggerFactory.getLogger(Pg.class);

  private static final Set<String> PERMANENT = Set.of(INSUFFICIENT_PRIVILEGE, "28000", "28P01");

  private Pg() {}

  /**
   * An admin connection for DDL on {@code endpoint}: autocommit (CREATE/DROP SUBSCRIPTION refuse to
   * run in a transaction block), and writable even where the fence made new sessions read-only
   * (ENGINES.md: a fenced database's default applies to Switchback's own new sessions too).
   */
  static Connection admin(Connections connections, String field, EndpointSpec endpoint)
      throws SQLException {
    Connection c = connections.connection(field, endpoint);
    try {
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("SET default_transaction_read_only = off");
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** A double-quoted identifier, safe for any name. */
  static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /** A single-quoted SQL literal (standard_conforming_strings is on since PostgreSQL 9.1). */
  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** The first column of the first row as text, or null when there is no row. */
  static String text(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  static boolean exists(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
  }

  /**
   * The failure an activity raises for {@code e}: missing privileges or bad credentials are not
   * fixed by retrying; anything else (a restart, a network blip, a lock) may be.
   */
  static RuntimeException failure(String action, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = action + ": " + e.getMessage() + " (SQLSTATE " + state + ")";
    if (PERMANENT.contains(state)) {
      return ApplicationFailure.newNonRetryableFailureWithCause(
          message, FailureTypes.PERMISSION, e);
    }
    return ApplicationFailure.newFailureWithCause(message, "PostgresError", e);
  }

  /**
   * Ends the client sessions of {@code users} in this database that started before {@code
   * startedBefore} (a timestamptz text), Switchback's own excepted; returns how many ended. A
   * backend reads its stored settings and privileges during startup but appears in pg_stat_activity
   * only at its end, so one that was starting at {@code startedBefore} may be invisible to the
   * first pass: a second pass a moment later catches it.
   */
  static int terminateSessionsStartedBefore(Connection c, List<String> users, String startedBefore)
      throws SQLException {
    int ended = terminate(c, users, startedBefore);
    try {
      Thread.sleep(STARTUP_GRACE_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while ending sessions", e);
    }
    return ended + terminate(c, users, startedBefore);
  }

  private static int terminate(Connection c, List<String> users, String startedBefore)
      throws SQLException {
    int ended = 0;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pid, usename::text, pg_terminate_backend(pid, ?)"
                + " FROM pg_stat_activity"
                + " WHERE datname = current_database() AND backend_type = 'client backend'"
                + " AND pid <> pg_backend_pid() AND usename = ANY (?)"
                + " AND coalesce(application_name, '') <> ? AND backend_start < ?::timestamptz")) {
      ps.setLong(1, TERMINATE_TIMEOUT_MS);
      ps.setArray(2, c.createArrayOf("text", users.toArray()));
      ps.setString(3, Connections.APPLICATION_NAME);
      ps.setString(4, startedBefore);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getBoolean(3)) {
            ended++;
          } else {
            log.warn(
                "session {} of {} did not end within {} ms",
                rs.getInt(1),
                rs.getString(2),
                TERMINATE_TIMEOUT_MS);
          }
        }
      }
    }
    return ended;
  }

  /** The first column of every row, as text. */
  static List<String> texts(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  static boolean is(SQLException e, String sqlState) {
    return sqlState.equals(e.getSQLState());
  }
}
