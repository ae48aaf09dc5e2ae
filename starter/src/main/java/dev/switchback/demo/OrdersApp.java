package dev.switchback.demo;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The demo application over plain JDBC, so any engine with a driver works: each order is a row
 * inserted into {@code orders}. The router contract and the witness are {@link DemoApp}'s.
 */
public final class OrdersApp extends DemoApp {
  private static final String INSERT = "INSERT INTO orders (order_no, amount) VALUES (?, ?)";
  private static final String FIND = "SELECT count(*) FROM orders WHERE order_no = ?";

  /** How to reach one side: a JDBC URL and an account (password may be null). */
  public record Endpoint(String jdbcUrl, String user, String password) {}

  /**
   * Settings.
   *
   * @param writers writer threads
   * @param ratePerSecond target total write rate
   * @param host the router endpoint's bind address
   * @param port the router endpoint's port (0: any free port)
   * @param token bearer token the router must send, or null for none
   * @param writeDeadline how long one write keeps retrying before it counts as failed
   * @param quiesceTimeout how long {@code /quiesce} waits for writes in flight
   */
  public record Config(
      Endpoint source,
      Endpoint destination,
      int writers,
      double ratePerSecond,
      String host,
      int port,
      String token,
      Duration writeDeadline,
      Duration quiesceTimeout) {

    public static Config of(Endpoint source, Endpoint destination) {
      return new Config(
          source,
          destination,
          4,
          200,
          "127.0.0.1",
          0,
          null,
          Duration.ofMinutes(2),
          Duration.ofSeconds(30));
    }

    public Config withRate(int writers, double ratePerSecond) {
      return new Config(
          source,
          destination,
          writers,
          ratePerSecond,
          host,
          port,
          token,
          writeDeadline,
          quiesceTimeout);
    }

    public Config withEndpoint(String host, int port, String token) {
      return new Config(
          source,
          destination,
          writers,
          ratePerSecond,
          host,
          port,
          token,
          writeDeadline,
          quiesceTimeout);
    }

    public Config withTimeouts(Duration writeDeadline, Duration quiesceTimeout) {
      return new Config(
          source,
          destination,
          writers,
          ratePerSecond,
          host,
          port,
          token,
          writeDeadline,
          quiesceTimeout);
    }

    Settings settings() {
      return new Settings(writers, ratePerSecond, host, port, token, writeDeadline, quiesceTimeout);
    }
  }

  private final Map<Side, HikariDataSource> pools = new EnumMap<>(Side.class);

  private OrdersApp(Config config) throws IOException {
    super(config.settings());
    for (Side side : Side.values()) {
      pools.put(side, pool(side, side == Side.SOURCE ? config.source() : config.destination()));
    }
  }

  /**
   * Starts the writers (on the source) and the router endpoint.
   *
   * @throws IllegalArgumentException naming the setting when one is out of range
   */
  public static OrdersApp start(Config config) throws IOException {
    OrdersApp app = new OrdersApp(config);
    app.begin();
    return app;
  }

  /**
   * Creates the {@code orders} table and its order number index on {@code endpoint} when missing,
   * in the engine's dialect. {@code order_no} is indexed but deliberately not unique: a duplicate
   * must be visible to the checks, not hidden as an error.
   */
  public static void createSchema(Endpoint endpoint) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.user(), endpoint.password());
        Statement s = c.createStatement()) {
      String product = c.getMetaData().getDatabaseProductName().toLowerCase();
      if (product.contains("postgres")) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS orders (id bigserial PRIMARY KEY, order_no text NOT NULL,"
                + " amount numeric(12,2) NOT NULL,"
                + " created_at timestamptz NOT NULL DEFAULT now())");
        s.execute("CREATE INDEX IF NOT EXISTS orders_order_no ON orders (order_no)");
      } else if (product.contains("mariadb") || product.contains("mysql")) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS orders (id bigint AUTO_INCREMENT PRIMARY KEY,"
                + " order_no varchar(64) NOT NULL, amount decimal(12,2) NOT NULL,"
                + " created_at timestamp(3) NOT NULL DEFAULT current_timestamp(3),"
                + " KEY orders_order_no (order_no))");
      } else {
        throw new SQLException(
            "the demo has no orders table for " + product + ": create it by hand");
      }
    }
  }

  @Override
  protected String nextOrder(int writer, long seq) {
    return "o-" + runId + "-" + writer + "-" + seq;
  }

  @Override
  protected void closeClients() {
    pools.values().forEach(HikariDataSource::close);
  }

  /**
   * One write, retried until it commits or the write deadline passes. The insert runs in an
   * explicit transaction so that only the COMMIT can be ambiguous (the connection dies after
   * sending it); then the order number is looked up on the same side before anything is retried, so
   * a retry never duplicates a row that did commit.
   */
  @Override
  protected void write(Side side, String orderNo, long started) {
    long deadline = deadline(started);
    BigDecimal amount = BigDecimal.valueOf(Math.floorMod(orderNo.hashCode(), 100_000), 2);
    long backoff = TimeUnit.MILLISECONDS.toNanos(50);
    HikariDataSource pool = pools.get(side);
    while (true) {
      boolean committing = false;
      try (Connection c = pool.getConnection()) {
        try {
          c.setAutoCommit(false);
          try (PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setString(1, orderNo);
            ps.setBigDecimal(2, amount);
            ps.executeUpdate();
          }
          committing = true;
          c.commit();
        } catch (SQLException e) {
          if (!committing) {
            rollbackQuietly(c);
          }
          if ("25006".equals(e.getSQLState())) {
            // Read-only transaction: a fenced database. This session keeps its read-only default
            // after the fence is lifted, so it must not go back to the pool.
            pool.evictConnection(c);
          }
          throw e;
        }
        acknowledge(side, orderNo);
        return;
      } catch (SQLException e) {
        lastError(side.word() + ": " + e.getMessage());
        if (committing) {
          ambiguous();
          Boolean landed = landed(pool, orderNo, deadline);
          if (Boolean.TRUE.equals(landed)) {
            acknowledge(side, orderNo);
            return;
          }
          if (landed == null) {
            failed(orderNo, "outcome unknown after the deadline");
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          failed(orderNo, e.getMessage());
          return;
        }
        retried();
        sleepNanos(backoff);
        backoff = Math.min(backoff * 2, TimeUnit.SECONDS.toNanos(1));
      }
    }
  }

  /** Whether {@code orderNo} committed; null when the side cannot say before the deadline. */
  private Boolean landed(HikariDataSource pool, String orderNo, long deadline) {
    while (System.nanoTime() < deadline) {
      try (Connection c = pool.getConnection();
          PreparedStatement ps = c.prepareStatement(FIND)) {
        ps.setString(1, orderNo);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1) > 0;
        }
      } catch (SQLException e) {
        lastError("looking up " + orderNo + ": " + e.getMessage());
        sleepNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    }
    return null;
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the server rolls the transaction back itself.
    }
  }

  private HikariDataSource pool(Side side, Endpoint e) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(e.jdbcUrl());
    c.setUsername(e.user());
    c.setPassword(e.password());
    c.setPoolName("orders-app-" + side.word());
    c.setMaximumPoolSize(writerCount() + 2);
    c.setMinimumIdle(0);
    c.setConnectionTimeout(2_000);
    // A side that is down at start (the destination before the migration) is not an error here.
    c.setInitializationFailTimeout(-1);
    if (e.jdbcUrl().startsWith("jdbc:postgresql:")) {
      c.addDataSourceProperty("ApplicationName", APPLICATION_NAME);
    } else if (e.jdbcUrl().startsWith("jdbc:mariadb:") || e.jdbcUrl().startsWith("jdbc:mysql:")) {
      c.addDataSourceProperty("connectionAttributes", "program_name:" + APPLICATION_NAME);
    }
    return new HikariDataSource(c);
  }
}
