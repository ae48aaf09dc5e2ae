package dev.switchback.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's application: writers inserting orders at a steady rate into whichever side it points
 * to, over plain JDBC so any engine with a driver works, and the webhook router contract on {@code
 * /switchback} so a cutover can quiesce it, point it elsewhere and resume it.
 *
 * <p>It is also the cutover's witness. It keeps every acknowledged order number, counts failed
 * writes (a write is retried through reconnects and fences until it commits; it fails only if it
 * never does), and measures the longest stall a client saw: the time from a write's start to its
 * acknowledgement, holds and retries included. A cutover that loses or duplicates a row, fails a
 * write, or stops writes for long shows up here.
 *
 * <p>Router contract (all bodies JSON; with a token, {@code Authorization: Bearer <token>}):
 *
 * <ul>
 *   <li>{@code POST /switchback/quiesce}: hold new writes (writers block, they do not fail) and
 *       answer once no write is in flight: 200 with the state; 503 with the state when writes are
 *       still in flight after the quiesce timeout.
 *   <li>{@code POST /switchback/point} {@code {"target":"source"|"destination"}}: switch the
 *       connection pool; only while quiesced with nothing in flight (409 otherwise), so the
 *       application never has two writable targets. 200 with the state.
 *   <li>{@code POST /switchback/resume}: release the held writes. 200 with the state.
 *   <li>{@code GET /switchback/state}: 200 with the state.
 * </ul>
 *
 * State: {@code {"target":"source"|"destination","quiesced":bool,"inFlight":n}}; errors: {@code
 * {"error":"..."}} with 400, 401, 404, 405 or 409. {@code GET /stats} shows the witness's counters.
 */
public final class OrdersApp implements AutoCloseable {
  /** Sessions carry this name, so Switchback's session check counts them as the application. */
  public static final String APPLICATION_NAME = "orders-app";

  private static final Logger log = LoggerFactory.getLogger(OrdersApp.class);
  private static final ObjectMapper JSON = new ObjectMapper();
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
  }

  /** The router contract's state object. */
  public record State(Side target, boolean quiesced, int inFlight) {
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", target.word());
      m.put("quiesced", quiesced);
      m.put("inFlight", inFlight);
      return m;
    }
  }

  /**
   * The witness's counters.
   *
   * @param acknowledged writes whose commit the database confirmed
   * @param acknowledgedOnSource of those, on the source
   * @param acknowledgedOnDestination of those, on the destination
   * @param failed writes that never committed within the write deadline (must stay 0)
   * @param retries attempts repeated after an error
   * @param ambiguousCommits commits whose outcome was unknown and had to be looked up
   * @param longestStallMs the longest time a client waited from a write's start to its ack
   * @param lastError the last error a write saw, or null
   */
  public record Stats(
      long acknowledged,
      long acknowledgedOnSource,
      long acknowledgedOnDestination,
      long failed,
      long retries,
      long ambiguousCommits,
      long longestStallMs,
      String lastError) {}

  private final Config config;
  private final Map<Side, HikariDataSource> pools = new EnumMap<>(Side.class);
  private final HttpServer http;
  private final ExecutorService httpThreads;
  private final List<Thread> writers;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private Side target = Side.SOURCE;
  private boolean quiesced;
  private int inFlight;
  private volatile boolean running = true;
  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final Set<String> acknowledgedOrders = ConcurrentHashMap.newKeySet();
  private final Map<Side, AtomicLong> acknowledgedBySide = new EnumMap<>(Side.class);
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong ambiguous = new AtomicLong();
  private final AtomicLong longestStallNanos = new AtomicLong();
  private final AtomicReference<String> lastError = new AtomicReference<>();

  private OrdersApp(Config config) throws IOException {
    this.config = config;
    for (Side side : Side.values()) {
      acknowledgedBySide.put(side, new AtomicLong());
      pools.put(side, pool(side, side == Side.SOURCE ? config.source() : config.destination()));
    }
    httpThreads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "orders-app-http");
              t.setDaemon(true);
              return t;
            });
    http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
    http.setExecutor(httpThreads);
    http.createContext("/switchback", this::route);
    http.createContext("/stats", this::stats);
    writers =
        IntStream.range(0, config.writers())
            .mapToObj(i -> new Thread(() -> writeLoop(i), "orders-writer-" + i))
            .collect(Collectors.toList());
  }

  /**
   * Starts the writers (on the source) and the router endpoint.
   *
   * @throws IllegalArgumentException naming the setting when one is out of range
   */
  public static OrdersApp start(Config config) throws IOException {
    if (config.writers() < 1) {
      throw new IllegalArgumentException("writers must be at least 1");
    }
    if (!(config.ratePerSecond() > 0)) {
      throw new IllegalArgumentException("ratePerSecond must be more than 0, e.g. 200");
    }
    OrdersApp app = new OrdersApp(config);
    app.http.start();
    app.writers.forEach(Thread::start);
    log.info(
        "orders app writing {}/s with {} writers to the source; router at {}",
        config.ratePerSecond(),
        config.writers(),
        app.routerUrl());
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

  /** The webhook router's base URL, for the plan's {@code router.url}. */
  public String routerUrl() {
    return "http://" + config.host() + ":" + http.getAddress().getPort() + "/switchback";
  }

  public State state() {
    lock.lock();
    try {
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  public Stats stats() {
    return new Stats(
        acknowledgedOrders.size(),
        acknowledgedBySide.get(Side.SOURCE).get(),
        acknowledgedBySide.get(Side.DESTINATION).get(),
        failed.get(),
        retries.get(),
        ambiguous.get(),
        TimeUnit.NANOSECONDS.toMillis(longestStallNanos.get()),
        lastError.get());
  }

  /** Every order number the database acknowledged, for checks against the tables. */
  public Set<String> acknowledgedOrders() {
    return Set.copyOf(acknowledgedOrders);
  }

  /**
   * Holds new writes and waits up to the quiesce timeout until none is in flight.
   *
   * @return the state; {@code inFlight > 0} when writes are still in flight at the timeout
   */
  public State quiesce() throws InterruptedException {
    lock.lock();
    try {
      quiesced = true;
      long left = config.quiesceTimeout().toNanos();
      while (inFlight > 0 && left > 0) {
        left = changed.awaitNanos(left);
      }
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Points the writers at {@code side}.
   *
   * @throws IllegalStateException when writes are not held, or some are still in flight: pointing
   *     then could leave two writable targets in use
   */
  public State point(Side side) {
    lock.lock();
    try {
      if (side != target && (!quiesced || inFlight > 0)) {
        throw new IllegalStateException(
            !quiesced
                ? "writes are not held: quiesce first, then point"
                : inFlight + " writes are still in flight: quiesce again, then point");
      }
      if (side != target) {
        log.info("orders app now points at the {}", side.word());
      }
      target = side;
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  public State resume() {
    lock.lock();
    try {
      quiesced = false;
      changed.signalAll();
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  /** Stops the writers (a write in flight finishes or fails first), the endpoint and the pools. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    running = false;
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (Thread t : writers) {
      try {
        t.join(config.writeDeadline().toMillis() + 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    http.stop(0);
    httpThreads.shutdownNow();
    pools.values().forEach(HikariDataSource::close);
    log.info("orders app stopped: {}", stats());
  }

  // --- writers

  private void writeLoop(int writer) {
    long interval = (long) (1e9 * config.writers() / config.ratePerSecond());
    long next = System.nanoTime();
    long seq = 0;
    while (running) {
      next += interval;
      long now = System.nanoTime();
      if (next > now) {
        sleepNanos(next - now);
      } else if (now - next > interval) {
        // Behind after a stall: carry on at the rate, no burst to catch up.
        next = now;
      }
      if (!running) {
        break;
      }
      String orderNo = "o-" + runId + "-" + writer + "-" + seq++;
      long started = System.nanoTime();
      Side side = enter();
      if (side == null) {
        break;
      }
      try {
        write(side, orderNo, started);
      } finally {
        exit();
      }
      longestStallNanos.accumulateAndGet(System.nanoTime() - started, Math::max);
    }
  }

  /** Blocks while writes are held; null when the app stops. */
  private Side enter() {
    lock.lock();
    try {
      while (quiesced && running) {
        changed.awaitUninterruptibly();
      }
      if (!running) {
        return null;
      }
      inFlight++;
      return target;
    } finally {
      lock.unlock();
    }
  }

  private void exit() {
    lock.lock();
    try {
      inFlight--;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * One write, retried until it commits or the write deadline passes. The insert runs in an
   * explicit transaction so that only the COMMIT can be ambiguous (the connection dies after
   * sending it); then the order number is looked up on the same side before anything is retried, so
   * a retry never duplicates a row that did commit.
   */
  private void write(Side side, String orderNo, long started) {
    long deadline = started + config.writeDeadline().toNanos();
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
        lastError.set(side.word() + ": " + e.getMessage());
        if (committing) {
          ambiguous.incrementAndGet();
          Boolean landed = landed(pool, orderNo, deadline);
          if (Boolean.TRUE.equals(landed)) {
            acknowledge(side, orderNo);
            return;
          }
          if (landed == null) {
            failed.incrementAndGet();
            log.warn("write {} outcome unknown after the deadline: counted as failed", orderNo);
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          failed.incrementAndGet();
          log.warn("write {} failed for good: {}", orderNo, e.getMessage());
          return;
        }
        retries.incrementAndGet();
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
        lastError.set("looking up " + orderNo + ": " + e.getMessage());
        sleepNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
    }
    return null;
  }

  private void acknowledge(Side side, String orderNo) {
    acknowledgedOrders.add(orderNo);
    acknowledgedBySide.get(side).incrementAndGet();
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the server rolls the transaction back itself.
    }
  }

  private static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HikariDataSource pool(Side side, Endpoint e) {
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(e.jdbcUrl());
    c.setUsername(e.user());
    c.setPassword(e.password());
    c.setPoolName("orders-app-" + side.word());
    c.setMaximumPoolSize(config.writers() + 2);
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

  // --- the router endpoint

  private void route(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (config.token() != null
          && !("Bearer " + config.token())
              .equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, error("missing or wrong bearer token"));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String action = path.substring("/switchback".length()).replaceAll("^/+|/+$", "");
      String method = exchange.getRequestMethod();
      switch (action) {
        case "state" -> {
          if (!"GET".equals(method)) {
            respond(exchange, 405, error("use GET /switchback/state"));
            return;
          }
          respond(exchange, 200, state().json());
        }
        case "quiesce", "point", "resume" -> {
          if (!"POST".equals(method)) {
            respond(exchange, 405, error("use POST /switchback/" + action));
            return;
          }
          post(exchange, action);
        }
        default ->
            respond(
                exchange,
                404,
                error("no such endpoint: use /switchback/{quiesce,point,resume,state}"));
      }
    }
  }

  private void post(HttpExchange exchange, String action) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    switch (action) {
      case "quiesce" -> {
        State s;
        try {
          s = quiesce();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          respond(exchange, 503, error("interrupted while quiescing"));
          return;
        }
        respond(exchange, s.inFlight() == 0 ? 200 : 503, s.json());
      }
      case "point" -> {
        Side side;
        try {
          JsonNode json = JSON.readTree(body);
          String t = json == null ? null : json.path("target").asText(null);
          side =
              "source".equals(t) ? Side.SOURCE : "destination".equals(t) ? Side.DESTINATION : null;
        } catch (IOException e) {
          side = null;
        }
        if (side == null) {
          respond(
              exchange,
              400,
              error("the body must be {\"target\":\"source\"} or {\"target\":\"destination\"}"));
          return;
        }
        try {
          respond(exchange, 200, point(side).json());
        } catch (IllegalStateException e) {
          respond(exchange, 409, error(e.getMessage()));
        }
      }
      default -> respond(exchange, 200, resume().json());
    }
  }

  private void stats(HttpExchange exchange) throws IOException {
    try (exchange) {
      respond(exchange, 200, stats());
    }
  }

  private static Map<String, Object> error(String message) {
    return Map.of("error", message);
  }

  private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
