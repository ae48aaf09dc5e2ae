package dev.switchback.activities.spi;

import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.messages.values.ValidationReport;
import java.util.List;

/**
 * A migration instance's operations, one shot each. Waiting (for latency, Paused, Running, the
 * drain) is done by the activities around these calls, which poll and heartbeat; a provider only
 * looks and acts. Every method must be idempotent: Temporal retries.
 *
 * <p>Implementations live in their own package ({@code .postgres}, {@code .mysql}, {@code .dts},
 * {@code .redis}) and are registered in {@link Registry}.
 */
public interface MigrationProvider {

  /** The provider name used in plans ({@code migration.provider}). */
  String name();

  /** The instance in {@code direction} now; status {@code NOT_FOUND} when it does not exist. */
  InstanceState describe(MigrationContext ctx, Direction direction);

  /**
   * The exact position the writer side of {@code direction} is at, taken right after the fence (an
   * LSN, a GTID set, an offset), or null when this provider cannot prove a drain exactly (the
   * stability window is used then).
   */
  String writerPosition(MigrationContext ctx, Direction direction);

  /**
   * The position the instance has confirmed applying, comparable with {@link #writerPosition}, and
   * whether it covers {@code target}.
   */
  boolean drained(MigrationContext ctx, Direction direction, String target);

  /** Requests a pause; returns at once. Never resumes a paused instance. */
  void pause(MigrationContext ctx, Direction direction);

  /**
   * Creates and starts the reverse (destination to source), incremental-only instance at the
   * destination's current position. Must be a no-op if the reverse instance already exists.
   */
  void createReverseIncremental(MigrationContext ctx);

  /**
   * The reverse instance the plan tells this provider to adopt instead of creating one (one an
   * operator made by hand), or null when the provider creates it. Preflight then wants that
   * instance present and not yet writing, where otherwise it wants no reverse instance yet.
   */
  default String adoptedReverseInstance(MigrationContext ctx) {
    return null;
  }

  /** Terminates the instance in {@code direction} and frees what it holds; no-op when gone. */
  void terminate(MigrationContext ctx, Direction direction);

  /** Copies values the migration does not carry (sequences) along {@code direction}. */
  default SequenceSyncResult syncSequences(MigrationContext ctx, Direction direction) {
    return new SequenceSyncResult(0, "nothing to sync for " + name());
  }

  /**
   * How each replication link between the two servers is protected: the forward instance's as it is
   * on the server (or as Switchback would create it), the reverse instance's as Switchback will
   * create it. Read-only. Empty when the provider makes no link of its own between the servers (a
   * migration service connects them itself); a provider that does not say reports {@link
   * Transport.Protection#UNKNOWN}.
   */
  default List<Transport> links(MigrationContext ctx) {
    return List.of(
        Transport.unknown(
            "replication links",
            "the "
                + name()
                + " provider cannot tell whether its replication links use verified TLS"));
  }

  /** Read-only checks for preflight: privileges, configuration, the reverse path possible. */
  default List<dev.switchback.messages.values.PreflightCheck> preflight(MigrationContext ctx) {
    return List.of();
  }

  /**
   * The migration service's own data verification, read after the switch (a plan test of type
   * {@code dts-data-check}). A difference is a failed report, not an exception; a check that is not
   * configured is a non-retryable {@code InvalidPlan} failure.
   *
   * @param tables restrict to these tables; empty: every table the service checked
   */
  default ValidationReport dataCheck(MigrationContext ctx, List<String> tables) {
    throw new UnsupportedOperationException(
        "migration provider " + name() + " has no data verification of its own");
  }
}
