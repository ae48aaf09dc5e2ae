package dev.switchback.activities.postgres;

import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.support.TlsLab;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * The PostgreSQL lab of deploy/lab/postgres.sh: source cluster on 127.0.0.1:5433, destination on
 * 127.0.0.1:5434, trust authentication. Each test takes a {@link Pair} of fresh databases (and
 * roles) with unique names and drops them afterwards, so tests never see each other's state.
 */
final class PgLab {
  static final String HOST = "127.0.0.1";
  // SWITCHBACK_PG_SOURCE_PORT / _DESTINATION_PORT point the tests at another pair of the same
  // kind (e.g. the TLS lab's 5440/5441), as SWITCHBACK_MARIADB_*_URL do for MariaDB.
  static final int SOURCE_PORT = port("SWITCHBACK_PG_SOURCE_PORT", 5433);
  static final int DESTINATION_PORT = port("SWITCHBACK_PG_DESTINATION_PORT", 5434);
  static final String START = "start the lab: deploy/lab/lab.sh start postgres";
  static final PostgresProvider PROVIDER = new PostgresProvider();
  static final PostgresEngine ENGINE = new PostgresEngine();

  private PgLab() {}

  private static int port(String variable, int fallback) {
    String v = System.getenv(variable);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.strip());
  }

  /** Fails (never skips) when the lab is not running. */
  static void requireLab() {
    for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
      try (Connection c = connect(port, "postgres", "postgres")) {
        c.isValid(2);
      } catch (SQLException e) {
        fail(START + " (127.0.0.1:" + port + ": " + e.getMessage() + ")");
      }
    }
  }

  static String url(int port, String db) {
    return "jdbc:postgresql://" + HOST + ":" + port + "/" + db;
  }

  /** A plain connection, as an application would open it (application_name {@code pglab}). */
  static Connection connect(int port, String db, String user) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("ApplicationName", "pglab");
    p.setProperty("connectTimeout", "3");
    return DriverManager.getConnection(url(port, db), p);
  }

  static String unique() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  }

  /** Waits for {@code done} on what {@code probe} returns (see {@link Await#until}). */
  static <T> T await(String what, Duration timeout, Callable<T> probe, Predicate<T> done) {
    return Await.until(what, timeout, probe, done);
  }

  /**
   * A database of the same name on both clusters, roles created on both, and the {@link
   * Connections} Switchback would use. Closing drops subscriptions, slots, databases and roles.
   */
  static final class Pair implements AutoCloseable {
    final String id = unique();
    final String db = "sbt_" + id;
    final String forward = "sbf_" + id;
    final String reverse = "sbr_" + id;
    final Connections connections = new Connections(new Secrets(Map.of()));
    private final List<String> roles = new ArrayList<>();
    final int sourcePort;
    final int destinationPort;
    private final boolean tls;

    Pair() {
      this(SOURCE_PORT, DESTINATION_PORT, false);
    }

    private Pair(int sourcePort, int destinationPort, boolean tls) {
      this.sourcePort = sourcePort;
      this.destinationPort = destinationPort;
      this.tls = tls;
      if (tls) {
        TlsLab.ensure();
      } else {
        requireLab();
      }
      both("CREATE DATABASE " + db);
    }

    /**
     * A pair on the TLS lab (deploy/lab/tls.sh, started when absent); the plan's URLs verify the
     * servers.
     */
    static Pair tls() {
      return new Pair(TlsLab.PG_SOURCE, TlsLab.PG_DESTINATION, true);
    }

    /** The plan's URL of the test database on {@code port}. */
    String endpointUrl(int port) {
      return tls ? TlsLab.pgUrl(port, db) : url(port, db);
    }

    /** Runs {@code sql} as postgres in the test database on the source. */
    Pair src(String sql) {
      run(sourcePort, db, sql);
      return this;
    }

    Pair dst(String sql) {
      run(destinationPort, db, sql);
      return this;
    }

    /** Runs {@code sql} in the test database on both sides (schema). */
    Pair schema(String sql) {
      return src(sql).dst(sql);
    }

    /** A login role on both clusters, dropped on close; returns its name. */
    String role(String prefix) {
      String name = prefix + "_" + id;
      both("CREATE ROLE " + name + " LOGIN");
      roles.add(name);
      return name;
    }

    Connection srcAs(String user) throws SQLException {
      return connect(sourcePort, db, user);
    }

    Connection dstAs(String user) throws SQLException {
      return connect(destinationPort, db, user);
    }

    long srcLong(String sql) {
      return queryLong(sourcePort, db, sql);
    }

    long dstLong(String sql) {
      return queryLong(destinationPort, db, sql);
    }

    Set<Long> srcIds(String sql) {
      return ids(sourcePort, db, sql);
    }

    Set<Long> dstIds(String sql) {
      return ids(destinationPort, db, sql);
    }

    /** A plan over this pair. */
    CutoverPlan plan(List<String> applicationAccounts, String migrationAccount) {
      return plan(applicationAccounts, migrationAccount, null, null);
    }

    /** A plan over this pair with endpoint options. */
    CutoverPlan plan(
        List<String> applicationAccounts,
        String migrationAccount,
        Map<String, String> sourceOptions,
        Map<String, String> destinationOptions) {
      return new CutoverPlan(
              "t-" + id,
              new MigrationSpec("postgres", forward, reverse, null),
              new EndpointSpec(
                  "postgres",
                  endpointUrl(sourcePort),
                  "postgres",
                  null,
                  applicationAccounts,
                  sourceOptions),
              new EndpointSpec(
                  "postgres",
                  endpointUrl(destinationPort),
                  "postgres",
                  null,
                  applicationAccounts,
                  destinationOptions),
              new MigrationAccountSpec(migrationAccount, null, true),
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

    CutoverPlan plan() {
      return plan(List.of(), null);
    }

    MigrationContext migration(CutoverPlan plan) {
      return new MigrationContext(plan.workflowId(), plan, connections);
    }

    EngineContext engine(CutoverPlan plan, Side side) {
      return new EngineContext(plan.workflowId(), plan, side, connections);
    }

    /** Creates the forward instance and waits until it is running and incremental. */
    InstanceState startForward(CutoverPlan plan) {
      PostgresMigrationSetup.createForward(connections, plan);
      return await(
          "forward instance running and incremental",
          Duration.ofSeconds(60),
          () -> PROVIDER.describe(migration(plan), Direction.FORWARD),
          s -> s.running() && s.incremental() && s.latencyMs() != null);
    }

    /**
     * The cutover up to the reverse instance: fence the source, prove the drain, pause and wait for
     * PAUSED, create the reverse instance and wait until it runs.
     */
    InstanceState cutToReverse(CutoverPlan plan) {
      MigrationContext m = migration(plan);
      ENGINE.fenceWrites(engine(plan, Side.SOURCE));
      String target = PROVIDER.writerPosition(m, Direction.FORWARD);
      await(
          "forward drained to " + target,
          Duration.ofSeconds(30),
          () -> PROVIDER.drained(m, Direction.FORWARD, target),
          d -> d);
      PROVIDER.pause(m, Direction.FORWARD);
      await(
          "forward PAUSED",
          Duration.ofSeconds(30),
          () -> PROVIDER.describe(m, Direction.FORWARD),
          InstanceState::paused);
      PROVIDER.createReverseIncremental(m);
      return await(
          "reverse instance running",
          Duration.ofSeconds(30),
          () -> PROVIDER.describe(m, Direction.REVERSE),
          s -> s.running() && s.incremental());
    }

    @Override
    public void close() throws SQLException {
      connections.close();
      for (int port : new int[] {sourcePort, destinationPort}) {
        try (Connection c = connect(port, db, "postgres");
            Statement s = c.createStatement()) {
          s.execute("SET default_transaction_read_only = off");
          List<String> subs = new ArrayList<>();
          try (ResultSet rs =
              s.executeQuery(
                  "SELECT subname FROM pg_subscription WHERE subdbid ="
                      + " (SELECT oid FROM pg_database WHERE datname = current_database())")) {
            while (rs.next()) {
              subs.add(rs.getString(1));
            }
          }
          for (String sub : subs) {
            s.execute("ALTER SUBSCRIPTION " + sub + " DISABLE");
            s.execute("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
            s.execute("DROP SUBSCRIPTION " + sub);
          }
        } catch (SQLException e) {
          // the database may not exist when the constructor failed
        }
      }
      for (int port : new int[] {sourcePort, destinationPort}) {
        await(
            "slots of " + db + " on " + port + " released",
            Duration.ofSeconds(20),
            () -> {
              try (Connection c = connect(port, "postgres", "postgres");
                  Statement s = c.createStatement()) {
                s.execute(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                        + " WHERE database = '"
                        + db
                        + "' AND active_pid IS NOT NULL");
                s.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE database = '"
                        + db
                        + "' AND NOT active");
                return queryLong(
                    port,
                    "postgres",
                    "SELECT count(*) FROM pg_replication_slots WHERE database = '" + db + "'");
              }
            },
            n -> n == 0);
        run(port, "postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        for (String role : roles) {
          run(port, "postgres", "DROP ROLE IF EXISTS " + role);
        }
      }
    }

    private void both(String sql) {
      run(sourcePort, "postgres", sql);
      run(destinationPort, "postgres", sql);
    }
  }

  static void run(int port, String db, String sql) {
    try (Connection c = connect(port, db, "postgres");
        Statement s = c.createStatement()) {
      s.execute("SET default_transaction_read_only = off");
      s.execute(sql);
    } catch (SQLException e) {
      throw new AssertionError("on " + port + "/" + db + ": " + sql + ": " + e.getMessage(), e);
    }
  }

  static long queryLong(int port, String db, String sql) {
    try (Connection c = connect(port, db, "postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError("on " + port + "/" + db + ": " + sql + ": " + e.getMessage(), e);
    }
  }

  static Set<Long> ids(int port, String db, String sql) {
    Set<Long> out = new HashSet<>();
    try (Connection c = connect(port, db, "postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
      return out;
    } catch (SQLException e) {
      throw new AssertionError("on " + port + "/" + db + ": " + sql + ": " + e.getMessage(), e);
    }
  }
}
