package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.support.TlsLab;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Assumptions;

/**
 * The two servers a MySQL/MariaDB test runs against: the lab's MariaDB pair (3307 source, 3308
 * destination, started by deploy/lab/lab.sh) or a MySQL pair named by environment variables.
 */
final class MySqlLab implements AutoCloseable {
  static final String MIGRATOR = "sbt_migrator";
  static final String APP = "sbt_app";
  static final String APP_PASSWORD = "app-pw";

  /** A replication password with a quote and a backslash: CHANGE MASTER must quote it right. */
  static final String REPLICATION_PASSWORD = "repl'pw\\x";

  final String engine;
  final String sourceUrl;
  final String destinationUrl;
  final String user;
  final String password;
  final Connections connections;

  private MySqlLab(
      String engine, String sourceUrl, String destinationUrl, String user, String password) {
    this.engine = engine;
    this.sourceUrl = sourceUrl;
    this.destinationUrl = destinationUrl;
    this.user = user;
    this.password = password;
    Map<String, String> env = new TreeMap<>();
    env.put("SBT_REPLICATION_PASSWORD", REPLICATION_PASSWORD);
    if (password != null) {
      env.put("SBT_ADMIN_PASSWORD", password);
    }
    this.connections = new Connections(new Secrets(env));
  }

  /** The lab's MariaDB servers; a test fails (not skips) when they are not running. */
  static MySqlLab mariadb() {
    String src = env("SWITCHBACK_MARIADB_SOURCE_URL", "jdbc:mariadb://127.0.0.1:3307/");
    String dst = env("SWITCHBACK_MARIADB_DESTINATION_URL", "jdbc:mariadb://127.0.0.1:3308/");
    MySqlLab lab = new MySqlLab("mariadb", src, dst, "root", null);
    lab.reachable("start the lab: deploy/lab/lab.sh start mariadb");
    return lab;
  }

  /**
   * The TLS lab's MariaDB pair (deploy/lab/tls.sh: 3320 source, 3321 destination), started when
   * absent; the admin URLs verify the servers.
   */
  static MySqlLab mariadbTls() {
    TlsLab.ensure();
    MySqlLab lab =
        new MySqlLab(
            "mariadb",
            TlsLab.mariadbUrl(TlsLab.MARIADB_SOURCE),
            TlsLab.mariadbUrl(TlsLab.MARIADB_DESTINATION),
            "root",
            null);
    lab.reachable("the TLS lab does not answer: deploy/lab/tls.sh start");
    return lab;
  }

  static final String MYSQL_SKIPPED =
      "MySQL tests skipped: set SWITCHBACK_MYSQL_SOURCE_URL and"
          + " SWITCHBACK_MYSQL_DESTINATION_URL (jdbc:mysql://host:port/ of two MySQL 8.0+ servers"
          + " with GTIDs on; admin SWITCHBACK_MYSQL_USER, default root, password in"
          + " SWITCHBACK_MYSQL_PASSWORD)";

  /**
   * MySQL servers from the environment, or null without them: each test then skips with {@link
   * #MYSQL_SKIPPED} through {@link #assumeMysql}, so the skip is counted and its reason shown.
   */
  static MySqlLab mysql() {
    String src = System.getenv("SWITCHBACK_MYSQL_SOURCE_URL");
    String dst = System.getenv("SWITCHBACK_MYSQL_DESTINATION_URL");
    if (src == null || dst == null) {
      System.err.println(MYSQL_SKIPPED);
      return null;
    }
    MySqlLab lab =
        new MySqlLab(
            "mysql",
            src,
            dst,
            env("SWITCHBACK_MYSQL_USER", "root"),
            System.getenv("SWITCHBACK_MYSQL_PASSWORD"));
    lab.reachable("the MySQL servers named by SWITCHBACK_MYSQL_*_URL are not reachable");
    return lab;
  }

  static MySqlLab assumeMysql(MySqlLab lab) {
    Assumptions.assumeTrue(lab != null, MYSQL_SKIPPED);
    return lab;
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  private void reachable(String hint) {
    for (Side side : Side.values()) {
      try (Connection c = admin(side)) {
        c.isValid(2);
      } catch (SQLException e) {
        fail(hint + " (" + url(side) + ": " + e.getMessage() + ")");
      }
    }
  }

  private static Side other(Side side) {
    return side == Side.SOURCE ? Side.DESTINATION : Side.SOURCE;
  }

  /** The port of a side's URL (jdbc:mariadb://host:port/). */
  int port(Side side) {
    return java.net.URI.create(url(side).substring("jdbc:".length())).getPort();
  }

  String url(Side side) {
    return side == Side.SOURCE ? sourceUrl : destinationUrl;
  }

  /** An admin connection of the test itself, outside Switchback's pools. */
  Connection admin(Side side) throws SQLException {
    return login(side, user, password);
  }

  /** A connection as the application account. */
  Connection app(Side side) throws SQLException {
    return login(side, APP, APP_PASSWORD);
  }

  Connection login(Side side, String account, String pw) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", account);
    if (pw != null) {
      p.setProperty("password", pw);
    }
    p.setProperty("connectTimeout", "5000");
    if (url(side).startsWith("jdbc:mysql:")) {
      p.setProperty("allowPublicKeyRetrieval", "true");
    }
    return DriverManager.getConnection(url(side), p);
  }

  /** A plan for one test: its own channels and database. */
  CutoverPlan plan(String name, String database, List<String> applicationAccounts) {
    return plan(name, database, applicationAccounts, Map.of());
  }

  /** A plan for one test with more {@code migration.options}. */
  CutoverPlan plan(
      String name, String database, List<String> applicationAccounts, Map<String, String> more) {
    String admin = password == null ? null : "env:SBT_ADMIN_PASSWORD";
    Map<String, String> options = new TreeMap<>(more);
    options.put(MySqlOptions.REPLICATION_PASSWORD, "env:SBT_REPLICATION_PASSWORD");
    options.put(MySqlOptions.DATABASES, database);
    return new CutoverPlan(
            name,
            new MigrationSpec(engine, "sbt_fwd_" + name, "sbt_rev_" + name, options),
            new EndpointSpec(engine, sourceUrl, user, admin, applicationAccounts, null),
            new EndpointSpec(engine, destinationUrl, user, admin, applicationAccounts, null),
            new MigrationAccountSpec(MIGRATOR, null, true),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null)
        .withDefaults();
  }

  MigrationContext migration(CutoverPlan plan) {
    return new MigrationContext("cutover-" + plan.name(), plan, connections);
  }

  EngineContext engine(CutoverPlan plan, Side side) {
    return new EngineContext("cutover-" + plan.name(), plan, side, connections);
  }

  /** The application and migration accounts on both servers, kept out of the binary logs. */
  void accounts(CutoverPlan plan) throws SQLException {
    MySqlMigrationSetup.createMigrationAccount(connections, plan);
    for (Side side : Side.values()) {
      try (Connection c = admin(side)) {
        exec(c, "SET SESSION sql_log_bin = 0");
        exec(c, "CREATE USER IF NOT EXISTS '" + APP + "'@'%' IDENTIFIED BY '" + APP_PASSWORD + "'");
        exec(c, "GRANT SELECT, INSERT, UPDATE, DELETE ON *.* TO '" + APP + "'@'%'");
      }
    }
  }

  /**
   * Leaves both servers as a test found them: test channels gone, no fence, its databases dropped
   * (outside the binary logs, so no other channel carries the drop).
   */
  void clean(String... databases) throws SQLException {
    for (Side side : Side.values()) {
      try (Connection c = admin(side)) {
        Dialect d = Dialect.of(c);
        for (ReplicaStatus r : ReplicaStatus.all(c, d)) {
          // Every test channel: tests run one at a time, so any left is from a test that died.
          if (r.channel().startsWith("sbt_")) {
            exec(c, d.stopReplica(r.channel()));
            exec(c, d.resetReplicaAll(r.channel()));
          } else if (Long.valueOf(port(other(side))).equals(r.sourcePort())) {
            // Not ours, so not removed: a user's own channel is theirs to end.
            fail(
                url(side)
                    + " replicates from "
                    + url(other(side))
                    + " through connection '"
                    + r.channel()
                    + "', which no test made; the server allows one connection per source, so"
                    + " the tests cannot make theirs. A finished demo leaves its paused forward"
                    + " instance (sb_demo_fwd) on purpose: deploy/lab/lab.sh start mariadb removes"
                    + " the demo's. Remove another one yourself: STOP SLAVE '"
                    + r.channel()
                    + "'; RESET SLAVE '"
                    + r.channel()
                    + "' ALL");
          }
        }
        if (!d.mariadb()) {
          exec(c, "SET GLOBAL super_read_only = OFF");
        }
        exec(c, "SET GLOBAL read_only = OFF");
        exec(c, "SET SESSION sql_log_bin = 0");
        for (String db : databases) {
          exec(c, "DROP DATABASE IF EXISTS " + Sql.ident(db));
        }
      }
    }
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  static long count(Connection c, String sql) throws SQLException {
    return Long.parseLong(Sql.one(c, sql));
  }

  /** The rows of a table as "id=v" strings in id order, to compare two servers. */
  static List<String> rows(Connection c, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> r : Sql.rows(c, "SELECT id, v FROM " + table + " ORDER BY id")) {
      out.add(r.get("id") + "=" + r.get("v"));
    }
    return out;
  }

  /** Waits until {@code condition} holds (see {@link Await#until}). */
  static void await(Duration timeout, String what, Callable<Boolean> condition) {
    Await.until(what, timeout, condition);
  }

  @Override
  public void close() {
    connections.close();
  }
}
