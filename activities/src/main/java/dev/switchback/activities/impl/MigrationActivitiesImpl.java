package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.Support.ms;
import static dev.switchback.activities.impl.Support.nonRetryable;
import static dev.switchback.activities.impl.Support.state;
import static dev.switchback.activities.impl.Support.threshold;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Thresholds;
import java.time.Duration;

/**
 * The migration instance's steps of the seed's procedure, for any provider: each wait (catch up,
 * drain, Paused, Running) is one activity that polls the provider and heartbeats, with a deadline
 * from the plan's thresholds.
 */
public final class MigrationActivitiesImpl implements MigrationActivities {
  static final String EXACT = "exact";
  static final String STABILITY_WINDOW = "stability-window";
  static final String COMPLETED = "completed";

  private final Registry registry;
  private final Connections connections;
  private final WaitClock clock;
  private final Duration pollInterval;

  public MigrationActivitiesImpl(Registry registry, Connections connections) {
    this(registry, connections, WaitClock.SYSTEM, Support.DEFAULT_POLL_INTERVAL);
  }

  public MigrationActivitiesImpl(
      Registry registry, Connections connections, WaitClock clock, Duration pollInterval) {
    this.registry = registry;
    this.connections = connections;
    this.clock = clock;
    this.pollInterval = pollInterval;
  }

  @Override
  public InstanceState describeInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    return provider(plan).describe(context(cutoverId, plan), direction);
  }

  @Override
  public InstanceState checkLatency(String cutoverId, CutoverPlan plan) {
    Duration max = threshold(plan, "maxLatencyToStart", Thresholds::maxLatencyToStart);
    Duration timeout = threshold(plan, "catchUpTimeout", Thresholds::catchUpTimeout);
    MigrationProvider provider = provider(plan);
    MigrationContext ctx = context(cutoverId, plan);
    String what =
        "the forward instance '"
            + plan.migration().instance()
            + "' to reach its incremental stage with latency <= "
            + ms(max);
    Waiter wait = Waiter.start(clock, pollInterval, "checkLatency", timeout);
    while (true) {
      InstanceState s = provider.describe(ctx, Direction.FORWARD);
      requireAlive(s, plan, Direction.FORWARD, what);
      if (s.paused()) {
        // The seed forbids resuming a paused instance; source writes are not being carried.
        throw nonRetryable(
            FailureTypes.INSTANCE_STATE,
            "the forward instance '"
                + name(s, plan, Direction.FORWARD)
                + "' is PAUSED before the cutover stopped any write, so source writes are not"
                + " being carried. Switchback never resumes a paused instance (the seed: it can"
                + " make data inconsistent). Check why it was paused; recreate the migration or"
                + " resume it yourself if that is safe, then start the cutover again.");
      }
      if (caughtUp(s, max)) {
        return s;
      }
      if (wait.expired()) {
        throw nonRetryable(
            FailureTypes.CATCH_UP_TIMEOUT,
            "waited "
                + ms(wait.elapsedMs())
                + " (thresholds.catchUpTimeout "
                + ms(timeout)
                + ") for "
                + what
                + "; last seen: "
                + state(s)
                + ". Nothing was stopped. Find why the instance lags (source write load,"
                + " destination apply speed, network), or start again off-peak or with a larger"
                + " thresholds.catchUpTimeout.");
      }
      wait.beat(s, "waiting for " + what + "; now " + state(s));
      wait.pause();
    }
  }

  /** The seed's condition to start: incremental, latency under the threshold; or done. */
  private static boolean caughtUp(InstanceState s, Duration max) {
    if (completedWithoutIncremental(s)) {
      return true;
    }
    return s.running()
        && s.incremental()
        && s.latencyMs() != null
        && s.latencyMs() <= max.toMillis();
  }

  private static boolean completedWithoutIncremental(InstanceState s) {
    return "COMPLETED".equals(s.status()) && !s.incremental();
  }

  @Override
  public DrainProof awaitDrained(String cutoverId, CutoverPlan plan, Direction direction) {
    Duration timeout = threshold(plan, "drainTimeout", Thresholds::drainTimeout);
    MigrationProvider provider = provider(plan);
    MigrationContext ctx = context(cutoverId, plan);
    Waiter wait = Waiter.start(clock, pollInterval, "awaitDrained-" + direction, timeout);
    InstanceState first = provider.describe(ctx, direction);
    requireAlive(first, plan, direction, "the drain");
    if (completedWithoutIncremental(first)) {
      return new DrainProof(
          name(first, plan, direction),
          COMPLETED,
          null,
          first.position(),
          wait.elapsedMs(),
          "the instance has no incremental stage and is COMPLETED: it carries nothing more");
    }
    // The target is taken once, right after the fence; a retry keeps the first attempt's target.
    String target =
        wait.resumed() != null && wait.resumed().target() != null
            ? wait.resumed().target()
            : provider.writerPosition(ctx, direction);
    if (target != null) {
      return exactDrain(provider, ctx, plan, direction, target, timeout, wait);
    }
    return stabilityWindow(provider, ctx, plan, direction, timeout, wait);
  }

  /** The drain proved by position equality (LSN, GTID set): no window, seconds of outage. */
  private DrainProof exactDrain(
      MigrationProvider provider,
      MigrationContext ctx,
      CutoverPlan plan,
      Direction direction,
      String target,
      Duration timeout,
      Waiter wait) {
    String what =
        "the "
            + direction.name().toLowerCase()
            + " instance '"
            + instanceName(plan, direction)
            + "' to confirm position "
            + target
            + " (the "
            + direction.from().word()
            + "'s position after the fence)";
    while (true) {
      InstanceState s = provider.describe(ctx, direction);
      requireAlive(s, plan, direction, what);
      if (provider.drained(ctx, direction, target)) {
        InstanceState reached = provider.describe(ctx, direction);
        return new DrainProof(
            name(reached, plan, direction),
            EXACT,
            target,
            reached.position(),
            wait.elapsedMs(),
            "confirmed position "
                + (reached.position() == null ? "?" : reached.position())
                + " covers "
                + target
                + " after "
                + ms(wait.elapsedMs()));
      }
      if (wait.expired()) {
        throw drainTimeout(what, s, timeout, wait, 0);
      }
      wait.beat(wait.progress(s, null, 0, target, "waiting for " + what + "; now " + state(s)));
      wait.pause();
    }
  }

  /**
   * The seed's rule where the provider cannot prove the drain (DTS): latency 0 (which may be
   * transient), then a window during which latency stays within the tolerance. A spike above the
   * tolerance means data was still moving: the window starts again at the next 0.
   */
  private DrainProof stabilityWindow(
      MigrationProvider provider,
      MigrationContext ctx,
      CutoverPlan plan,
      Direction direction,
      Duration timeout,
      Waiter wait) {
    Duration window = threshold(plan, "stabilityWindow", Thresholds::stabilityWindow);
    Duration tolerance = threshold(plan, "stabilityTolerance", Thresholds::stabilityTolerance);
    WaitProgress resumed = wait.resumed();
    Long windowStart = null;
    int restarts = 0;
    if (resumed != null) {
      restarts = resumed.windowRestarts();
      if (resumed.windowStartedAtMillis() != null) {
        // Only observed time counts: the gap between the last heartbeat and this attempt was not
        // watched, so the window keeps what was seen stable and goes on from now.
        long observed = resumed.atMillis() - resumed.windowStartedAtMillis();
        windowStart = wait.now() - Math.max(0, observed);
      }
    }
    String what =
        "the "
            + direction.name().toLowerCase()
            + " instance '"
            + instanceName(plan, direction)
            + "' to reach latency 0 and then stay within "
            + ms(tolerance)
            + " for "
            + ms(window);
    while (true) {
      InstanceState s = provider.describe(ctx, direction);
      requireAlive(s, plan, direction, what);
      long now = wait.now();
      Long latency = s.latencyMs();
      // Unknown latency or a stopped instance cannot vouch for the window.
      boolean steady = s.running() && latency != null && latency <= tolerance.toMillis();
      if (windowStart == null) {
        if (s.running() && latency != null && latency == 0) {
          windowStart = now;
        }
      } else if (!steady) {
        windowStart = null;
        restarts++;
      }
      if (windowStart != null && now - windowStart >= window.toMillis()) {
        return new DrainProof(
            name(s, plan, direction),
            STABILITY_WINDOW,
            null,
            s.position(),
            wait.elapsedMs(),
            "latency reached 0 and stayed within "
                + ms(tolerance)
                + " for "
                + ms(window)
                + (restarts == 0 ? "" : "; the window restarted " + restarts + " time(s) on spikes")
                + "; waited "
                + ms(wait.elapsedMs()));
      }
      if (wait.expired()) {
        throw drainTimeout(what, s, timeout, wait, restarts);
      }
      String phase =
          windowStart == null
              ? "waiting for latency 0"
              : "stable for " + ms(now - windowStart) + " of " + ms(window);
      wait.beat(wait.progress(s, windowStart, restarts, null, phase + "; now " + state(s)));
      wait.pause();
    }
  }

  private static io.temporal.failure.ApplicationFailure drainTimeout(
      String what, InstanceState last, Duration timeout, Waiter wait, int restarts) {
    return nonRetryable(
        FailureTypes.DRAIN_TIMEOUT,
        "waited "
            + ms(wait.elapsedMs())
            + " (thresholds.drainTimeout "
            + ms(timeout)
            + ") for "
            + what
            + "; last seen: "
            + state(last)
            + (restarts == 0
                ? ""
                : "; latency spikes restarted the window " + restarts + " time(s)")
            + ". Writes are still stopped. Check that nothing but the instance writes (the fence"
            + " and session check), and why the instance stalls (its status and errors, locks on"
            + " the side it writes to). If it is only slow, raise thresholds.drainTimeout.");
  }

  @Override
  public InstanceState pauseInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    Duration timeout = threshold(plan, "instanceTimeout", Thresholds::instanceTimeout);
    MigrationProvider provider = provider(plan);
    MigrationContext ctx = context(cutoverId, plan);
    String what =
        "the " + direction.name().toLowerCase() + " instance '" + instanceName(plan, direction);
    InstanceState s = provider.describe(ctx, direction);
    requireAlive(s, plan, direction, "the pause");
    if (s.paused()) {
      return s;
    }
    if (completedWithoutIncremental(s)) {
      // The seed: an instance without an incremental stage is not paused.
      return s;
    }
    provider.pause(ctx, direction);
    Waiter wait = Waiter.start(clock, pollInterval, "pauseInstance-" + direction, timeout);
    while (true) {
      s = provider.describe(ctx, direction);
      requireAlive(s, plan, direction, what + "' to be PAUSED");
      if (s.paused()) {
        return s;
      }
      if (wait.expired()) {
        throw nonRetryable(
            FailureTypes.INSTANCE_TIMEOUT,
            "waited "
                + ms(wait.elapsedMs())
                + " (thresholds.instanceTimeout "
                + ms(timeout)
                + ") for "
                + what
                + "' to be PAUSED after the pause request; last seen: "
                + state(s)
                + ". Check the instance in its console or server; pause it by hand if it is"
                + " stuck (never resume it), or raise thresholds.instanceTimeout.");
      }
      wait.beat(s, "waiting for " + what + "' to be PAUSED; now " + state(s));
      wait.pause();
    }
  }

  @Override
  public SequenceSyncResult syncSequences(String cutoverId, CutoverPlan plan, Direction direction) {
    return provider(plan).syncSequences(context(cutoverId, plan), direction);
  }

  @Override
  public InstanceState startReverseIncremental(String cutoverId, CutoverPlan plan) {
    Duration timeout = threshold(plan, "instanceTimeout", Thresholds::instanceTimeout);
    MigrationProvider provider = provider(plan);
    MigrationContext ctx = context(cutoverId, plan);
    String what = "the reverse instance '" + instanceName(plan, Direction.REVERSE) + "'";
    // Idempotent in the provider: a retry finds the instance the first attempt created.
    provider.createReverseIncremental(ctx);
    Waiter wait = Waiter.start(clock, pollInterval, "startReverseIncremental", timeout);
    while (true) {
      InstanceState s = provider.describe(ctx, Direction.REVERSE);
      if ("FAILED".equals(s.status())) {
        throw nonRetryable(
            FailureTypes.INSTANCE_STATE,
            what
                + " FAILED after it was created: "
                + state(s)
                + ". Without it there is no rollback path; fix the cause in the provider, then"
                + " retry.");
      }
      if (s.running()) {
        return s;
      }
      if (wait.expired()) {
        throw nonRetryable(
            FailureTypes.INSTANCE_TIMEOUT,
            "waited "
                + ms(wait.elapsedMs())
                + " (thresholds.instanceTimeout "
                + ms(timeout)
                + ") for "
                + what
                + " to be RUNNING; last seen: "
                + state(s)
                + ". Check it in the provider (privileges of the migration account on the"
                + " source, connectivity from the destination), or raise"
                + " thresholds.instanceTimeout.");
      }
      wait.beat(s, "waiting for " + what + " to be RUNNING; now " + state(s));
      wait.pause();
      // Some providers create the reverse instance in steps (DTS: create, then precheck, then
      // StartReverseWriter once the precheck passed); the call is idempotent, so repeat it.
      provider.createReverseIncremental(ctx);
    }
  }

  @Override
  public InstanceState terminateInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    MigrationProvider provider = provider(plan);
    MigrationContext ctx = context(cutoverId, plan);
    provider.terminate(ctx, direction);
    return provider.describe(ctx, direction);
  }

  /** A missing or failed instance cannot be waited out: the procedure cannot continue. */
  private static void requireAlive(
      InstanceState s, CutoverPlan plan, Direction direction, String waitingFor) {
    if ("NOT_FOUND".equals(s.status())) {
      throw nonRetryable(
          FailureTypes.INSTANCE_STATE,
          "the "
              + direction.name().toLowerCase()
              + " instance '"
              + name(s, plan, direction)
              + "' does not exist (waiting for "
              + waitingFor
              + "). Check "
              + (direction == Direction.FORWARD
                  ? "migration.instance"
                  : "migration.reverseInstance")
              + " and migration.provider name an existing instance.");
    }
    if ("FAILED".equals(s.status())) {
      throw nonRetryable(
          FailureTypes.INSTANCE_STATE,
          "the "
              + direction.name().toLowerCase()
              + " instance '"
              + name(s, plan, direction)
              + "' FAILED (waiting for "
              + waitingFor
              + "): "
              + state(s)
              + ". Fix the instance in its provider first.");
    }
  }

  private static String name(InstanceState s, CutoverPlan plan, Direction direction) {
    return s != null && s.instance() != null ? s.instance() : instanceName(plan, direction);
  }

  private static String instanceName(CutoverPlan plan, Direction direction) {
    return direction == Direction.FORWARD
        ? plan.migration().instance()
        : plan.migration().reverseInstance();
  }

  private MigrationProvider provider(CutoverPlan plan) {
    return registry.provider(plan.migration().provider());
  }

  private MigrationContext context(String cutoverId, CutoverPlan plan) {
    return new MigrationContext(cutoverId, plan, connections);
  }
}
