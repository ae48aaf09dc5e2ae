package dev.switchback.worker;

import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Invariant 8, "a slow step is not a dead worker": while any activity's method runs, this ticker
 * heartbeats for it every couple of seconds, so a step that blocks in one call (a smoke test's
 * query, a webhook bounded by {@code router.timeout}, a lock wait, a slot-release wait) is not
 * ended by its heartbeat timeout. The heartbeat timeout then detects what it is for: a worker that
 * died or lost the server (the ticker lives in the worker, so it dies with it; the SDK refuses
 * heartbeats once the worker shuts down), and only the step's own start-to-close deadline ends a
 * slow step.
 *
 * <p>The ticker re-sends the details the activity last sent itself (wait or validation progress),
 * never null over them; before the activity's first own heartbeat it re-sends the previous
 * attempt's details, so a retry still resumes where the last attempt got to (see {@link
 * TickingContext}).
 *
 * <p>When a tick learns the activity was cancelled (a workflow cancel or rollback, the server no
 * longer knowing the attempt, the local heartbeat deadline passed), it interrupts the activity's
 * thread, so a blocking call that honours interruption stops at once: sleeps and waits between
 * polls, {@code HttpClient.send} (webhooks, HTTP smoke tests), Hikari's wait for a pooled
 * connection. A call blocked in socket I/O does not: JDBC statements (PgJDBC, MariaDB and
 * Connector/J read with blocking sockets) and Jedis/Lettuce commands run until their own timeout
 * (the statement's query timeout, the connection's socket timeout) or return, and the activity sees
 * the cancel at its next heartbeat.
 *
 * <p>Registered once for every worker by {@link Wiring#workerFactoryOptions(HeartbeatTicker)}.
 */
public final class HeartbeatTicker extends WorkerInterceptorBase implements AutoCloseable {
  /** Well under the 10 s heartbeat timeout every Cutover step gets. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

  /**
   * The longest the SDK may hold a heartbeat back (its throttle), set on the worker: the server
   * then hears from a live worker every few seconds, far inside a 10 s heartbeat timeout.
   */
  public static final Duration MAX_SEND_INTERVAL = Duration.ofSeconds(3);

  private static final long MIN_PERIOD_MS = 50;

  private final long intervalMs;
  private final ScheduledThreadPoolExecutor scheduler;

  public HeartbeatTicker() {
    this(DEFAULT_INTERVAL);
  }

  /**
   * @param interval the longest time between two ticks; shorter for an activity whose heartbeat
   *     timeout is under four intervals
   */
  public HeartbeatTicker(Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("heartbeat tick interval must be positive: " + interval);
    }
    this.intervalMs = interval.toMillis();
    // Two threads: a tick that sends synchronously waits for the server, and one slow answer must
    // not hold up every other activity's tick.
    this.scheduler = new ScheduledThreadPoolExecutor(2, daemonThreads());
    this.scheduler.setRemoveOnCancelPolicy(true);
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new Ticking(next);
  }

  /** The tick period for an activity: the interval, or a quarter of a short heartbeat timeout. */
  long periodMillis(Duration heartbeatTimeout) {
    return Math.max(MIN_PERIOD_MS, Math.min(intervalMs, heartbeatTimeout.toMillis() / 4));
  }

  /** Stops ticking for everyone; activities still running then rely on their own heartbeats. */
  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  private final class Ticking extends ActivityInboundCallsInterceptorBase {
    private TickingContext context;

    Ticking(ActivityInboundCallsInterceptor next) {
      super(next);
    }

    @Override
    public void init(ActivityExecutionContext context) {
      // The context passed down here is the one Activity.getExecutionContext() returns to the
      // activity (the SDK's root interceptor stores it), so the activity's own heartbeats pass
      // through TickingContext and the ticker knows the latest details.
      this.context = new TickingContext(context);
      super.init(this.context);
    }

    @Override
    public ActivityOutput execute(ActivityInput input) {
      ActivityInfo info = context.getInfo();
      // Local activities do not heartbeat; without a heartbeat timeout nothing would trip.
      if (info.isLocal() || info.getHeartbeatTimeout().isZero() || scheduler.isShutdown()) {
        return super.execute(input);
      }
      long period = periodMillis(info.getHeartbeatTimeout());
      context.startTicking(Thread.currentThread());
      ScheduledFuture<?> ticks;
      try {
        ticks =
            scheduler.scheduleWithFixedDelay(context::tick, period, period, TimeUnit.MILLISECONDS);
      } catch (RuntimeException e) {
        context.stopTicking();
        return super.execute(input); // the ticker was closed meanwhile: the activity beats alone
      }
      try {
        return super.execute(input);
      } finally {
        ticks.cancel(false);
        context.stopTicking();
      }
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "switchback-heartbeat-ticker-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
