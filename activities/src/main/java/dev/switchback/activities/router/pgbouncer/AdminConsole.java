package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.Columns;
import dev.switchback.plan.ProxyUrls;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;
import org.postgresql.Driver;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * One PgBouncer's admin console (the {@code pgbouncer} database), over pgjdbc in the simple query
 * protocol, the only one the console speaks.
 *
 * <p>pgjdbc 42.7 runs {@code SET extra_float_digits} after login to any server that reports a
 * version below 12, and PgBouncer's console reports its own ({@code 1.18.0/bouncer}) and refuses
 * that {@code SET} ("SET failed") up to PgBouncer 1.25.2 at least (pgbouncer issue 1509); {@code
 * ignore_startup_parameters} does not help, since the driver sends it as a query, not at startup.
 * The driver skips those queries on a connection that has the {@code replication} property (a
 * replication connection takes no {@code SET}), and sends the property to the server only when told
 * it talks to 9.4 or later, which it is not told here: so the console sees a plain login.
 * PgBouncerRouterTest connects this way to the real PgBouncer, so a driver that changes this is
 * caught there.
 */
final class AdminConsole implements AutoCloseable {
  /**
   * pgjdbc warns "Unsupported Server Version: 1.18.0/bouncer" on every console connection; only
   * that record is dropped. Held here: java.util.logging keeps loggers only weakly.
   */
  private static final Logger DRIVER_LOG = quietConsoleVersionWarning();

  private static final Driver DRIVER = new Driver();

  /** How the console is named in messages: {@code PgBouncer host:port (router.instances[0])}. */
  final String where;

  /** The console user, from the URL. */
  final String user;

  private final Connection connection;

  private AdminConsole(String where, String user, Connection connection) {
    this.where = where;
    this.user = user;
    this.connection = connection;
  }

  /**
   * Logs in to the console at {@code url} ({@code postgres://user@host:port/pgbouncer}, checked by
   * the plan rules).
   *
   * @param readTimeout how long one command may wait for its answer before the connection is
   *     dropped (a backstop: callers bound their waits themselves)
   */
  static AdminConsole open(String where, String url, String password, Duration readTimeout) {
    URI uri = URI.create(url);
    String user = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
    int port = uri.getPort() == -1 ? ProxyUrls.PGBOUNCER_PORT : uri.getPort();
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("preferQueryMode", "simple");
    p.setProperty("replication", "database"); // see the class comment: no SET after login
    p.setProperty("connectTimeout", "10");
    p.setProperty("loginTimeout", "20");
    p.setProperty("socketTimeout", String.valueOf(Math.max(5, readTimeout.toSeconds() + 1)));
    p.setProperty("tcpKeepAlive", "true");
    String jdbc = "jdbc:postgresql://" + uri.getHost() + ":" + port + "/pgbouncer";
    try {
      Connection c = DRIVER.connect(jdbc, p);
      return new AdminConsole(where, user, c);
    } catch (SQLException e) {
      throw loginFailure(where, user, e);
    }
  }

  /** The rows of {@code SHOW <what>}, each by column name. */
  List<Columns> show(String what) {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SHOW " + what)) {
      ResultSetMetaData meta = rs.getMetaData();
      List<Columns> rows = new ArrayList<>();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          row.put(meta.getColumnLabel(i), rs.getObject(i));
        }
        rows.add(Columns.of(row));
      }
      return rows;
    } catch (SQLException e) {
      throw failure("SHOW " + what, e);
    }
  }

  /**
   * The row of {@code database} in {@code SHOW DATABASES}, or null when PgBouncer has none.
   * PgBouncer names databases case-sensitively.
   */
  Columns database(String database) {
    return show("DATABASES").stream()
        .filter(r -> database.equals(r.string("name")))
        .findFirst()
        .orElse(null);
  }

  /** The value of a setting in {@code SHOW CONFIG}, or null. */
  String config(String key) {
    return show("CONFIG").stream()
        .filter(r -> key.equals(r.string("key")))
        .map(r -> r.string("value"))
        .findFirst()
        .orElse(null);
  }

  /**
   * Runs an admin command ({@code PAUSE}, {@code RESUME}, {@code RELOAD}).
   *
   * @param harmless part of an error message that means the command had nothing to do (RESUME of a
   *     database that is not paused), or null
   * @return false when PgBouncer answered {@code harmless}
   */
  boolean command(String command, String harmless) {
    try (Statement s = connection.createStatement()) {
      s.execute(command);
      return true;
    } catch (SQLException e) {
      String said = serverMessage(e);
      if (harmless != null && said != null && said.contains(harmless)) {
        return false;
      }
      throw failure(command, e);
    }
  }

  /** A database name as the console's commands take it: quoted, so any name is one word. */
  static String quoted(String database) {
    return "\"" + database.replace("\"", "\"\"") + "\"";
  }

  /** Drops the connection from another thread, ending a command that waits (a PAUSE). */
  void abort() {
    try {
      connection.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      // already closed: nothing waits on it any more
    }
  }

  @Override
  public void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      // the console answered what was asked; a failing close changes nothing there
    }
  }

  /** What failed, as Temporal should see it: unreachable is retried, an answer is not. */
  RuntimeException failure(String call, SQLException e) {
    String said = serverMessage(e);
    if (said == null) {
      return new RouterUnavailableException(
          where + ": " + call + " failed (" + e.getMessage() + ")", e);
    }
    if (said.contains("admin access needed") || said.contains("not allowed")) {
      return ApplicationFailure.newNonRetryableFailure(
          where
              + ": "
              + call
              + " refused: "
              + said
              + ". The console user '"
              + user
              + "' must be listed in PgBouncer's admin_users (a stats_users user can only read)",
          FailureTypes.PERMISSION);
    }
    return ApplicationFailure.newNonRetryableFailure(
        where + ": " + call + " answered: " + said, FailureTypes.ROUTER);
  }

  private static RuntimeException loginFailure(String where, String user, SQLException e) {
    String said = serverMessage(e);
    if (said == null) {
      return new RouterUnavailableException(
          where + ": cannot reach the admin console (" + e.getMessage() + ")", e);
    }
    return ApplicationFailure.newNonRetryableFailure(
        where
            + ": PgBouncer refused the console login of '"
            + user
            + "': "
            + said
            + ". List the user in PgBouncer's admin_users and auth_file (or reach it through"
            + " auth_query), and give its password as router.password (env:NAME or file:/path)",
        FailureTypes.PERMISSION);
  }

  /** What the server said, or null when nothing came back (a network error, a timeout). */
  private static String serverMessage(SQLException e) {
    ServerErrorMessage m = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
    return m == null ? null : m.getMessage();
  }

  private static Logger quietConsoleVersionWarning() {
    Logger log = Logger.getLogger("org.postgresql.jdbc.PgConnection");
    java.util.logging.Filter previous = log.getFilter();
    log.setFilter(
        r -> {
          Object[] params = r.getParameters();
          boolean console =
              "Unsupported Server Version: {0}".equals(r.getMessage())
                  && params != null
                  && params.length == 1
                  && String.valueOf(params[0]).endsWith("/bouncer");
          return !console && (previous == null || previous.isLoggable(r));
        });
    return log;
  }
}
