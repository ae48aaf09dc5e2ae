package dev.switchback.activities.redis;

import dev.switchback.messages.values.Side;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * A write fence on one Redis server, held by this worker: {@code CLIENT PAUSE <period> WRITE}
 * renewed every period/3 over a connection of its own. The pause times out by itself, so a worker
 * that dies stops renewing and the fence ends at most one period later; that period is the bound on
 * how long a fence outlives a crashed worker.
 *
 * <p>A fence must never lapse silently. Any renewal that fails, comes late (more than a period
 * after the last one) or finds the server restarted (its run_id changed: a restart drops the pause)
 * is recorded as a lapse, logged as an error, and kept until an engine call on this endpoint
 * reports it. The renewer keeps trying after a lapse so that the fence comes back as soon as it
 * can.
 */
final class FenceLease {
  private static final Logger log = LoggerFactory.getLogger(FenceLease.class);

  /** When and why the fence may not have held. */
  record Lapse(Instant at, String reason) {}

  private final RedisEndpoint endpoint;
  private final String cutoverId;
  private final Side side;
  private final Duration period;
  private final Instant since;
  private final String runId;
  private Jedis connection;
  private ScheduledFuture<?> task;
  private boolean stopped;
  private Instant lastRenewed;
  // The pause in force ends no earlier than this: the last CLIENT PAUSE was sent before it reached
  // the server, which counts the period from its arrival.
  private Instant pausedUntil;
  private Lapse lapse;
  private boolean lapseReported;

  private FenceLease(
      RedisEndpoint endpoint,
      String cutoverId,
      Side side,
      Duration period,
      Jedis connection,
      String runId) {
    this.endpoint = endpoint;
    this.cutoverId = cutoverId;
    this.side = side;
    this.period = period;
    this.connection = connection;
    this.runId = runId;
    this.since = Instant.now();
  }

  /**
   * Pauses writes on {@code endpoint} now and starts renewing on {@code scheduler}. Throws when the
   * first pause fails: then no fence exists and nothing is left running.
   */
  static FenceLease start(
      RedisEndpoint endpoint,
      String cutoverId,
      Side side,
      Duration period,
      ScheduledExecutorService scheduler) {
    Jedis jedis = endpoint.open("fence", socketTimeoutMs(period));
    try {
      String runId = new RedisInfo(jedis.info("server")).get("run_id");
      Instant sent = Instant.now();
      jedis.clientPause(period.toMillis(), ClientPauseMode.WRITE);
      FenceLease lease = new FenceLease(endpoint, cutoverId, side, period, jedis, runId);
      synchronized (lease) {
        lease.lastRenewed = Instant.now();
        lease.pausedUntil = sent.plus(period);
        long every = Math.max(100, period.toMillis() / 3);
        lease.task =
            scheduler.scheduleWithFixedDelay(
                lease::renewQuietly, every, every, TimeUnit.MILLISECONDS);
      }
      return lease;
    } catch (RuntimeException e) {
      jedis.close();
      throw e;
    }
  }

  /**
   * A renewal that hangs longer than its interval is a failed renewal, and the single renewer
   * thread serves every fence of the worker: one hung server must not delay the others.
   */
  private static int socketTimeoutMs(Duration period) {
    return (int) Math.max(300, period.toMillis() / 3);
  }

  /** Re-issues the pause at once (fenceWrites called again); throws when the server refuses. */
  synchronized void renewNow() {
    if (stopped) {
      throw new IllegalStateException("fence on " + endpoint + " was lifted");
    }
    renew();
  }

  private synchronized void renewQuietly() {
    if (stopped) {
      return;
    }
    try {
      renew();
    } catch (RuntimeException e) {
      // Recorded by renew(); the scheduler must keep running so the fence can come back.
    }
  }

  private void renew() {
    Instant now = Instant.now();
    if (Duration.between(lastRenewed, now).compareTo(period) >= 0) {
      recordLapse(
          now,
          "the fence was not renewed for "
              + Duration.between(lastRenewed, now).toMillis()
              + " ms, longer than its period of "
              + period.toMillis()
              + " ms (the worker stalled): the pause may have ended in between");
    }
    try {
      if (connection == null) {
        connection = endpoint.open("fence", socketTimeoutMs(period));
      }
      String currentRunId = new RedisInfo(connection.info("server")).get("run_id");
      Instant sent = Instant.now();
      connection.clientPause(period.toMillis(), ClientPauseMode.WRITE);
      lastRenewed = Instant.now();
      pausedUntil = sent.plus(period);
      if (runId != null && !runId.equals(currentRunId)) {
        recordLapse(
            now,
            "the server restarted (run_id "
                + runId
                + " became "
                + currentRunId
                + "): a restart drops the pause, so writes were possible until this renewal");
      }
    } catch (RuntimeException e) {
      if (connection != null) {
        connection.close();
        connection = null;
      }
      recordLapse(now, "renewing CLIENT PAUSE failed: " + RedisCalls.rootMessage(e));
      throw e;
    }
  }

  private void recordLapse(Instant at, String reason) {
    log.error(
        "write fence on {} for cutover {} ({}) may have lapsed at {}: {}",
        endpoint,
        cutoverId,
        side.word(),
        at,
        reason);
    if (lapse == null || lapseReported) {
      lapse = new Lapse(at, reason);
      lapseReported = false;
    }
  }

  /**
   * The lapse not reported yet, marking it reported: the next engine call on the endpoint fails
   * loudly with it, once, and later calls (a compensation lifting the fence) can proceed.
   */
  /** The lapse this lease saw, reported or not, or null. */
  synchronized Lapse lapseSeen() {
    return lapse;
  }

  synchronized Lapse takeUnreportedLapse() {
    if (lapse == null || lapseReported) {
      return null;
    }
    lapseReported = true;
    return lapse;
  }

  /**
   * Whether the pause is sure to hold for {@code margin} more: renewed recently enough, and no
   * lapse was ever seen (a restart or a failed renewal makes it uncertain, so callers probe
   * instead).
   */
  synchronized boolean surelyInForceFor(Duration margin) {
    return lapse == null && pausedUntil != null && Instant.now().plus(margin).isBefore(pausedUntil);
  }

  /** Stops renewing. Does not lift the pause: the caller unpauses, or the pause runs out. */
  synchronized void stop() {
    stopped = true;
    if (task != null) {
      task.cancel(false);
    }
    if (connection != null) {
      connection.close();
      connection = null;
    }
  }

  /** A line for health and describe output. */
  synchronized String describe() {
    String base =
        "write fence on "
            + endpoint
            + " for cutover "
            + cutoverId
            + ": CLIENT PAUSE WRITE held since "
            + since
            + ", renewed every "
            + Math.max(100, period.toMillis() / 3)
            + " ms (last "
            + lastRenewed
            + ")";
    if (lapse != null) {
      base +=
          "; LAPSED at "
              + lapse.at()
              + ": "
              + lapse.reason()
              + (lapseReported ? " (reported)" : " (not reported yet)");
    }
    return base;
  }
}
