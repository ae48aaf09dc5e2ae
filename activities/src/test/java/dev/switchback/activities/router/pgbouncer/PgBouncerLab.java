package dev.switchback.activities.router.pgbouncer;

import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.support.Columns;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The lab of deploy/lab/pgbouncer.sh: two PgBouncers (127.0.0.1:6432 and 6433, admin user {@code
 * switchback}, trust, transaction pooling), each with its databases file, in front of the
 * PostgreSQL lab pair (5433 source, 5434 destination). Each test takes a {@link Fixture}: a
 * database of its own on both servers and an entry for it in both PgBouncers' files, added and
 * removed through the router's own locked rewrite, so tests (and other users of the lab files)
 * never see each other's entries.
 */
final class PgBouncerLab {
  static final String HOST = "127.0.0.1";
  static final int A = 6432;
  static final int B = 6433;
  static final int SOURCE_PORT = 5433;
  static final int DESTINATION_PORT = 5434;
  static final String START = "start the lab: deploy/lab/lab.sh start all";
  static final Duration WAIT = Duration.ofSeconds(30);

  private PgBouncerLab() {}

  static Path labDir() {
    String dir = System.getenv("SWITCHBACK_LAB_DIR");
    return Path.of(dir == null || dir.isBlank() ? "/var/lib/switchback-lab" : dir, "pgbouncer");
  }

  static String adminUrl(int port) {
    return "postgres://switchback@" + HOST + ":" + port + "/pgbouncer";
  }

  static Path databasesFile(int port) {
    return labDir().resolve(port + "/databases.ini");
  }

  static RouterInstance instance(int port) {
    return new RouterInstance(adminUrl(port), databasesFile(port).toString());
  }

  /** The admin console of the lab PgBouncer on {@code port}, as the router opens it. */
  static AdminConsole console(int port) {
    return AdminConsole.open("PgBouncer " + HOST + ":" + port, adminUrl(port), null, WAIT);
  }

  /** Fails (never skips) when the lab is not running. */
  static void requireLab() {
    for (int port : new int[] {A, B}) {
      try (AdminConsole c = console(port)) {
        c.show("VERSION");
      } catch (RuntimeException e) {
        fail(START + " (PgBouncer " + HOST + ":" + port + ": " + e.getMessage() + ")");
      }
    }
    for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
      try (Connection c = server(port, "postgres")) {
        c.isValid(2);
      } catch (SQLException e) {
        fail(START + " (PostgreSQL " + HOST + ":" + port + ": " + e.getMessage() + ")");
      }
    }
  }

  static Connection server(int port, String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + port + "/" + db, p);
  }

  /** An application's connection through the PgBouncer on {@code port}. */
  static Connection client(int port, String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "5");
    // Transaction pooling: no named server-side statements (PgBouncer 1.18 cannot carry them).
    p.setProperty("prepareThreshold", "0");
    p.setProperty("ApplicationName", "pgbouncer-lab-client");
    return DriverManager.getConnection("jdbc:postgresql://" + HOST + ":" + port + "/" + db, p);
  }

  /** Runs {@code sql} and returns the first column of its first row. */
  static String one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * A database {@code sbpgb_<id>} on both servers, each with a table {@code side} saying which
   * server it is, and an entry for it (pointing at the source) in both PgBouncers' files, with a
   * comment and a neighbour entry beside it. Closing removes the entries and drops the databases.
   */
  static final class Fixture implements AutoCloseable {
    final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final String db = "sbpgb_" + id;
    final String neighbour = db + "_neighbour";
    final String comment = "; " + db + ": a comment the router must keep";
    final String entry =
        db + " = host=" + HOST + " port=" + SOURCE_PORT + " dbname=" + db + " pool_size=3";
    final String neighbourEntry =
        neighbour + " = host=" + HOST + " port=" + SOURCE_PORT + " dbname=" + db;
    private final List<Connection> opened = new ArrayList<>();

    Fixture() throws Exception {
      requireLab();
      for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
        try (Connection c = server(port, "postgres");
            Statement s = c.createStatement()) {
          s.execute("CREATE DATABASE " + db);
        }
        try (Connection c = server(port, db);
            Statement s = c.createStatement()) {
          String side = port == SOURCE_PORT ? "source" : "destination";
          s.execute("CREATE TABLE side AS SELECT '" + side + "'::text AS name");
        }
      }
      for (int port : new int[] {A, B}) {
        DatabasesFile.update(
            databasesFile(port),
            text ->
                text
                    + (text.endsWith("\n") ? "" : "\n")
                    + comment
                    + "\n"
                    + entry
                    + "\n"
                    + neighbourEntry
                    + "\n");
        try (AdminConsole c = console(port)) {
          c.command("RELOAD", null);
        }
      }
    }

    /** A plan for this database through the PgBouncers on {@code ports}. */
    CutoverPlan plan(String timeout, int... ports) {
      List<RouterInstance> instances =
          Arrays.stream(ports).mapToObj(PgBouncerLab::instance).toList();
      return plan(RouterSpec.pgbouncer(instances, db, null, timeout));
    }

    CutoverPlan plan(RouterSpec router) {
      return plan(router, null);
    }

    /** A plan through {@code router} with {@code gates} (null: the defaults, approvals). */
    CutoverPlan plan(RouterSpec router, GatesSpec gates) {
      return new CutoverPlan(
              "pgb-" + id,
              new MigrationSpec("postgres", "mig", null, null),
              endpoint(SOURCE_PORT),
              endpoint(DESTINATION_PORT),
              null,
              router,
              null,
              gates,
              ApproverSpec.names("alice"),
              CutoverPlan.UNSIGNED,
              null,
              null,
              null)
          .withDefaults();
    }

    private EndpointSpec endpoint(int port) {
      return new EndpointSpec(
          "postgres",
          "jdbc:postgresql://" + HOST + ":" + port + "/" + db,
          "postgres",
          null,
          null,
          null);
    }

    /** An application connection through the PgBouncer on {@code port}, closed with the fixture. */
    Connection client(int port) throws SQLException {
      Connection c = PgBouncerLab.client(port, db);
      opened.add(c);
      return c;
    }

    /** This database's row in {@code SHOW DATABASES} of the PgBouncer on {@code port}. */
    Columns row(int port) {
      try (AdminConsole c = console(port)) {
        return c.database(db);
      }
    }

    boolean paused(int port) {
      return PgBouncerRouter.paused(row(port));
    }

    /** Clients waiting for this database on {@code port} (held by a PAUSE). */
    long waiting(int port) {
      try (AdminConsole c = console(port)) {
        return c.show("POOLS").stream()
            .filter(r -> db.equals(r.string("database")))
            .mapToLong(r -> r.number("cl_waiting"))
            .sum();
      }
    }

    /** The lines of this fixture in the lab file of {@code port}, as bytes read as chars. */
    List<String> lines(int port) throws IOException {
      return DatabasesFile.read(databasesFile(port))
          .lines()
          .filter(l -> l.contains(db))
          .collect(Collectors.toList());
    }

    @Override
    public void close() throws IOException, SQLException {
      for (Connection c : opened) {
        try {
          c.close();
        } catch (SQLException e) {
          // the test may have broken it on purpose
        }
      }
      for (int port : new int[] {A, B}) {
        try (AdminConsole c = console(port)) {
          c.command("RESUME " + AdminConsole.quoted(db), "not paused");
        } catch (RuntimeException e) {
          // no such database (a test removed it): nothing to resume
        }
        // Only this fixture's lines go; every other byte of the shared lab file stays.
        DatabasesFile.update(
            databasesFile(port),
            text -> text.replaceAll("(?m)^[^\n]*" + Pattern.quote(db) + "[^\n]*(\n|$)", ""));
        try (AdminConsole c = console(port)) {
          c.command("RELOAD", null);
        }
      }
      for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
        try (Connection c = server(port, "postgres");
            Statement s = c.createStatement()) {
          s.execute("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
      }
    }
  }
}
