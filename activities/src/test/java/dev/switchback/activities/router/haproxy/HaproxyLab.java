package dev.switchback.activities.router.haproxy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.impl.TestPlans;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.Thresholds;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * The lab's HAProxy (deploy/lab/haproxy.sh): runtime API on tcp://127.0.0.1:9999 and a Unix socket,
 * both at level admin, and the backends reserved for these tests, {@code test_mariadb} (frontend
 * 3391), {@code test_postgres} (5491) and {@code test_redis} (6391), each with server {@code src}
 * for the lab pair's source and {@code dst} for its destination.
 */
final class HaproxyLab {
  static final String HOST = "127.0.0.1";
  static final String TCP = "tcp://127.0.0.1:9999";
  static final String UNIX =
      "unix://"
          + (System.getenv("SWITCHBACK_LAB_DIR") == null
              ? "/var/lib/switchback-lab"
              : System.getenv("SWITCHBACK_LAB_DIR"))
          + "/haproxy/admin.sock";
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** A test backend, the frontend in front of it, and the ports of the servers behind it. */
  enum Engine {
    MARIADB("test_mariadb", 3391, 3307, 3308),
    POSTGRES("test_postgres", 5491, 5433, 5434),
    REDIS("test_redis", 6391, 6380, 6381);

    final String backend;
    final int frontend;
    final int sourcePort;
    final int destinationPort;

    Engine(String backend, int frontend, int sourcePort, int destinationPort) {
      this.backend = backend;
      this.frontend = frontend;
      this.sourcePort = sourcePort;
      this.destinationPort = destinationPort;
    }

    /** Opens a new connection through HAProxy and asks the server which port it listens on. */
    int serverPort() throws Exception {
      switch (this) {
        case MARIADB:
          try (Connection c = mariadb(frontend)) {
            return port(c.createStatement(), this);
          }
        case POSTGRES:
          try (Connection c = postgres(frontend)) {
            return port(c.createStatement(), this);
          }
        default:
          try (Jedis j = redis(frontend)) {
            return redisPort(j);
          }
      }
    }
  }

  /** The port of the server behind {@code s}'s connection (MariaDB or PostgreSQL). */
  static int port(Statement s, Engine e) throws SQLException {
    String query = e == Engine.MARIADB ? "SELECT @@port" : "SELECT inet_server_port()";
    try (ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getInt(1);
    }
  }

  private HaproxyLab() {}

  /** Fails (never skips) when the lab's HAProxy does not answer. */
  static void requireLab() {
    String info;
    try {
      info = raw(TCP, "show info");
    } catch (RuntimeException e) {
      fail(
          "the lab's HAProxy does not answer on "
              + TCP
              + ": start the lab: deploy/lab/lab.sh"
              + " start haproxy ("
              + e.getMessage()
              + ")");
      return;
    }
    assertTrue(info.contains("Name: HAProxy"), "not HAProxy on " + TCP + ": " + info);
  }

  /** The non-retryable failure {@code call} ends with. */
  static ApplicationFailure nonRetryable(Executable call) {
    ApplicationFailure f = assertThrows(ApplicationFailure.class, call);
    assertTrue(f.isNonRetryable(), f.toString());
    return f;
  }

  /** One runtime API command, as an operator would type it. */
  static String raw(String url, String command) {
    return new RuntimeApi("test", url).call(command, TIMEOUT);
  }

  /** What {@code deploy/lab/haproxy.sh start} restores: src ready, dst in maint, no session. */
  static void baseline(String url, String backend) {
    for (String command :
        List.of(
            "set server " + backend + "/src state ready",
            "set server " + backend + "/dst state maint",
            "shutdown sessions server " + backend + "/dst")) {
      String answer = raw(url, command);
      assertTrue(answer.isBlank(), command + ": " + answer);
    }
  }

  /** {@code show servers state}'s admin state of {@code backend/server}, e.g. "maint". */
  static String word(String url, String backend, String server) {
    try {
      return Backend.fromServersState(backend, raw(url, "show servers state " + backend))
          .server(server)
          .word();
    } catch (Backend.UnexpectedAnswer e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  static CutoverPlan plan(String backend, String... urls) {
    return plan(
        RouterSpec.haproxy(
            Arrays.stream(urls).map(u -> new RouterInstance(u, null)).toList(),
            backend,
            "src",
            "dst",
            "5s"));
  }

  /** A valid plan around {@code router}; only the router is used. */
  static CutoverPlan plan(RouterSpec router) {
    return TestPlans.plan(Thresholds.defaults(), router, true);
  }

  static Connection mariadb(int port) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://"
            + HOST
            + ":"
            + port
            + "/?user=root&connectTimeout=3000&socketTimeout=10000");
  }

  /** MySQL's own driver, as a MySQL application connects. */
  static Connection mysqlDriver(int port) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mysql://"
            + HOST
            + ":"
            + port
            + "/?user=root&connectTimeout=3000&socketTimeout=10000&sslMode=DISABLED");
  }

  static Connection postgres(int port) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://"
            + HOST
            + ":"
            + port
            + "/postgres?user=postgres&connectTimeout=3&socketTimeout=10&ApplicationName=haproxytest");
  }

  static Jedis redis(int port) {
    return new Jedis(
        new HostAndPort(HOST, port),
        DefaultJedisClientConfig.builder()
            .clientName("app-haproxytest")
            .connectionTimeoutMillis(3000)
            .socketTimeoutMillis(10_000)
            .build());
  }

  static int redisPort(Jedis j) {
    return j.info("server")
        .lines()
        .filter(l -> l.startsWith("tcp_port:"))
        .map(l -> Integer.parseInt(l.substring("tcp_port:".length()).strip()))
        .findFirst()
        .orElseThrow();
  }
}
