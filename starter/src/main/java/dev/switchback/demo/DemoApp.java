package dev.switchback.demo;

import com.sun.net.httpserver.HttpServer;
import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.net.InetSocketAddress;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's application: writers storing orders at a steady rate into whichever side it points to,
 * and the webhook router contract on {@code /switchback} so a cutover can quiesce it, point it
 * elsewhere and resume it. Subclasses say how one order is written: {@link OrdersApp} inserts a row
 * over JDBC, {@link RedisOrdersApp} sets a key.
 *
 * <p>It is also the cutover's witness. It keeps every acknowledged order, counts failed writes (a
 * write is retried through reconnects and fences until it is acknowledged; it fails only if it
 * never is), and measures the longest stall a client saw: the time from a write's start to its
 * acknowledgement, holds and retries included. A cutover that loses or duplicates an order, fails a
 * write, or stops writes for long shows up here.
 *
 * <p>Router contract (all bodies JSON; every request signed with this run's key as
 * docs/webhook-router.md describes, checked by {@link SignedRequests}: unsigned, stale, replayed or
 * wrongly signed requests are answered 401 and do nothing; with a token, also {@code Authorization:
 * Bearer <token>}):
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
 * {"error":"..."}} with 400, 401, 404, 405, 409 or 413. {@code GET /stats} shows the witness's
 * counters and {@code GET /health} the state, both unsigned and read-only.
 */
public abstract class DemoApp implements AutoCloseable {
  /** Sessions carry this name, so Switchback's session check counts them as the application. */
  public static final String APPLICATION_NAME = "orders-app";

  private static final Logger log = LoggerFactory.getLogger(DemoApp.class);

  /**
   * How the application runs, whatever it writes to.
   *
   * @param writers writer threads
   * @param ratePerSecond target total write rate
   * @param host the router endpoint's bind address
   * @param port the router endpoint's port (0: any free port)
   * @param token bearer token the router must send, or null for none
   * @param writeDeadline how long one write keeps retrying before it counts as failed
   * @param quiesceTimeout how long {@code /quiesce} waits for writes in flight
   */
  public record Settings(
      int writers,
      double ratePerSecond,
      String host,
      int port,
      String token,
      Duration writeDeadline,
      Duration quiesceTimeout) {

    public static Settings defaults() {
      return new Settings(
          4, 200, "127.0.0.1", 0, null, Duration.ofMinutes(2), Duration.ofSeconds(30));
    }

    public Settings withRate(int writers, double ratePerSecond) {
      return new Settings(writers, ratePerSecond, host, port, token, writeDeadline, quiesceTimeout);
    }

    /**
     * @throws IllegalArgumentException naming the setting when one is out of range
     */
    void check() {
      if (writers < 1) {
        throw new IllegalArgumentException("writers must be at least 1");
      }
      if (!(ratePerSecond > 0)) {
        throw new IllegalArgumentException("ratePerSecond must be more than 0, e.g. 200");
      }
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
   * @param acknowledged writes the database confirmed
   * @param acknowledgedOnSource of those, on the source
   * @param acknowledgedOnDestination of those, on the destination
   * @param failed writes that were never acknowledged within the write deadline (must stay 0)
   * @param retries attempts repeated after an error
   * @param ambiguousCommits writes whose outcome was unknown (the connection died after sending)
   *     and had to be looked up or safely repeated
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

  private final Settings settings;
  private final SignedRequests signatures;
  private final HttpServer http;
  private final ExecutorService httpThreads;
  private final List<Thread> writers;

  /** Tells this run's orders from earlier runs' in the same tables or keyspace. */
  protected final String runId = UUID.randomUUID().toString().substring(0, 8);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private Side target = Side.SOURCE;
  private boolean quiesced;
  private int inFlight;
  private volatile boolean running = true;
  private final AtomicBoolean closed = new AtomicBoolean();

  private final Set<String> acknowledgedOrders = ConcurrentHashMap.newKeySet();
  private final Map<Side, AtomicLong> acknowledgedBySide = new EnumMap<>(Side.class);
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong ambiguous = new AtomicLong();
  private final AtomicLong longestStallNanos = new AtomicLong();
  private final AtomicReference<String> lastError = new AtomicReference<>();

  /**
   * Binds the router endpoint; nothing runs until {@link #begin()}.
   *
   * @throws IllegalArgumentException naming the setting when one is out of range
   */
  protected DemoApp(Settings settings) throws IOException {
    settings.check();
    this.settings = settings;
    this.signatures = SignedRequests.generate();
    for (Side side : Side.values()) {
      acknowledgedBySide.put(side, new AtomicLong());
    }
    httpThreads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "orders-app-http");
              t.setDaemon(true);
              return t;
            });
    http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 0);
    http.setExecutor(httpThreads);
    RouterEndpoint endpoint = new RouterEndpoint(this, signatures, settings.token());
    http.createContext("/switchback", endpoint::route);
    http.createContext("/stats", endpoint::stats);
    http.createContext("/health", endpoint::health);
    writers =
        IntStream.range(0, settings.writers())
            .mapToObj(i -> new Thread(() -> writeLoop(i), "orders-writer-" + i))
            .collect(Collectors.toList());
  }

  /** Starts the router endpoint and the writers (on the source). */
  protected final void begin() {
    http.start();
    writers.forEach(Thread::start);
    log.info(
        "{} writing {}/s with {} writers to the source; router at {}",
        getClass().getSimpleName(),
        settings.ratePerSecond(),
        settings.writers(),
        routerUrl());
  }

  /** The order the {@code seq}-th write of {@code writer} stores: unique across runs. */
  protected abstract String nextOrder(int writer, long seq);

  /**
   * Writes {@code order} on {@code side}, retrying until it is acknowledged or {@link
   * #deadline(long)} passes; calls {@link #acknowledge} or {@link #failed} exactly once.
   */
  protected abstract void write(Side side, String order, long started);

  /** Closes the clients of both sides, once the writers stopped. */
  protected abstract void closeClients();

  /** The webhook router's base URL, for the plan's {@code router.url}. */
  public final String routerUrl() {
    return "http://" + settings.host() + ":" + http.getAddress().getPort() + "/switchback";
  }

  /**
   * The plan's {@code router.signingKey}: a {@code file:} reference to this run's key, which the
   * router endpoint checks every request against (docs/webhook-router.md).
   */
  public final String routerSigningKey() {
    return signatures.reference();
  }

  public final State state() {
    lock.lock();
    try {
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  public final Stats stats() {
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

  /** Every order the database acknowledged, for checks against the tables or keys. */
  public final Set<String> acknowledgedOrders() {
    return Set.copyOf(acknowledgedOrders);
  }

  /**
   * Holds new writes and waits up to the quiesce timeout until none is in flight.
   *
   * @return the state; {@code inFlight > 0} when writes are still in flight at the timeout
   */
  public final State quiesce() throws InterruptedException {
    lock.lock();
    try {
      quiesced = true;
      long left = settings.quiesceTimeout().toNanos();
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
  public final State point(Side side) {
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

  public final State resume() {
    lock.lock();
    try {
      quiesced = false;
      changed.signalAll();
      return new State(target, quiesced, inFlight);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the writers (a write in flight finishes or fails first), the endpoint and the clients.
   */
  @Override
  public final void close() {
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
        t.join(settings.writeDeadline().toMillis() + 5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    http.stop(0);
    httpThreads.shutdownNow();
    closeClients();
    signatures.close();
    log.info("orders app stopped: {}", stats());
  }

  // --- for the writes of subclasses

  protected final int writerCount() {
    return settings.writers();
  }

  /** When a write started at {@code started} ({@link System#nanoTime()}) stops retrying. */
  protected final long deadline(long started) {
    return started + settings.writeDeadline().toNanos();
  }

  protected final void acknowledge(Side side, String order) {
    acknowledgedOrders.add(order);
    acknowledgedBySide.get(side).incrementAndGet();
  }

  protected final void failed(String order, String why) {
    failed.incrementAndGet();
    log.warn("write {} failed for good: {}", order, why);
  }

  protected final void retried() {
    retries.incrementAndGet();
  }

  protected final void ambiguous() {
    ambiguous.incrementAndGet();
  }

  protected final void lastError(String message) {
    lastError.set(message);
  }

  protected static void sleepNanos(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // --- writers

  private void writeLoop(int writer) {
    long interval = (long) (1e9 * settings.writers() / settings.ratePerSecond());
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
      String order = nextOrder(writer, seq++);
      long started = System.nanoTime();
      Side side = enter();
      if (side == null) {
        break;
      }
      try {
        write(side, order, started);
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
}
