package dev.switchback.activities.spi;

import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import java.util.List;

/**
 * One database engine's session check, write fence and privileges. Implementations live in their
 * own package ({@code .postgres}, {@code .mysql}, {@code .redis}, ...) and are registered in {@link
 * Registry}. Every method must be idempotent.
 */
public interface DatabaseEngine {

  /** The engine name used in plans ({@code source.engine}). */
  String name();

  /**
   * Application sessions on the endpoint now, split into writers and others; the migration account,
   * replication and Switchback's own sessions are counted as excluded.
   */
  Sessions listSessions(EngineContext ctx);

  /**
   * Stops application writes; the migration account and replication keep working where possible.
   */
  FenceResult fenceWrites(EngineContext ctx);

  /** Lifts the fence. */
  FenceResult unfenceWrites(EngineContext ctx);

  /**
   * Removes {@code account}'s write privileges, ends its sessions opened before (a connected
   * session may keep privileges or a role it set, or commit what it wrote), then checks that no way
   * to write is left. Returns what was done and checked.
   *
   * @throws io.temporal.failure.ApplicationFailure non-retryable {@code InvalidPlan} when the
   *     account does not exist on this endpoint (a misspelt name must not pass as "nothing to
   *     revoke"), {@code WritePathsLeft} when a write path is left or cannot be revoked (a
   *     superuser), naming each with its fix
   */
  String revokeWrite(EngineContext ctx, String account);

  /** Read-only checks for preflight: reachable, privileges to fence and list sessions. */
  List<PreflightCheck> preflight(EngineContext ctx);

  /**
   * How the worker's admin connection to {@code endpoint} is protected, read from its URL the way
   * the engine's driver reads it; no connection is made. {@code field} is {@code source} or {@code
   * destination}. Engines that do not say are {@link Transport.Protection#UNKNOWN}.
   */
  default Transport transport(String field, dev.switchback.plan.EndpointSpec endpoint) {
    return Transport.unknown(
        field, "the " + name() + " engine cannot tell whether " + field + ".url uses verified TLS");
  }

  /** The result of {@link #listSessions}. */
  record Sessions(
      List<dev.switchback.messages.values.SessionInfo> writers,
      List<dev.switchback.messages.values.SessionInfo> others,
      int excluded) {}
}
