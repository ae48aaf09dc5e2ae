package dev.switchback.activities;

import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.plan.CutoverPlan;
import io.temporal.activity.ActivityInterface;

/**
 * The migration instance, whatever carries it (logical replication, GTID replication, DTS). Every
 * method is idempotent, keyed by {@code cutoverId} (the workflow id), because Temporal retries
 * them. Waits poll inside the activity and heartbeat.
 */
@ActivityInterface
public interface MigrationActivities {

  /** The instance's status, stage, latency and position now. */
  InstanceState describeInstance(String cutoverId, CutoverPlan plan, Direction direction);

  /**
   * Waits until the forward instance is in its incremental stage with latency below {@code
   * thresholds.maxLatencyToStart} (or Completed without an incremental stage). Fails with type
   * {@code CatchUpTimeout} after {@code thresholds.catchUpTimeout}.
   */
  InstanceState checkLatency(String cutoverId, CutoverPlan plan);

  /**
   * Proves that the instance in {@code direction} carried every write its writer side committed
   * before the fence: an exact position equality where the engine has one, the seed's stability
   * window where it does not. Fails with type {@code DrainTimeout} after {@code
   * thresholds.drainTimeout}.
   */
  DrainProof awaitDrained(String cutoverId, CutoverPlan plan, Direction direction);

  /** Pauses the instance and waits until it is Paused. A paused instance is never resumed. */
  InstanceState pauseInstance(String cutoverId, CutoverPlan plan, Direction direction);

  /** Copies what the migration does not carry (PostgreSQL sequences) along {@code direction}. */
  SequenceSyncResult syncSequences(String cutoverId, CutoverPlan plan, Direction direction);

  /**
   * Creates the reverse, incremental-only instance (destination to source) at the exact current
   * position, starts it and waits until Running. Created at most once per cutover: a retry finds
   * the instance it made.
   */
  InstanceState startReverseIncremental(String cutoverId, CutoverPlan plan);

  /**
   * Terminates the instance in {@code direction} and frees what it holds (slots, channels). Safe to
   * call when it is already gone.
   */
  InstanceState terminateInstance(String cutoverId, CutoverPlan plan, Direction direction);
}
