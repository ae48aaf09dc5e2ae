package dev.switchback.activities;

import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.activity.ActivityInterface;

/** The database endpoints: sessions, write fences, privileges. Every method is idempotent. */
@ActivityInterface
public interface DatabaseActivities {

  /**
   * Read-only checks before anything changes: endpoints reachable, the forward instance exists and
   * is Running (or Completed with no incremental stage), privileges to fence, list sessions and
   * create the reverse path, the reverse path possible, the router reachable.
   */
  PreflightReport preflight(String cutoverId, CutoverPlan plan);

  /**
   * Stops application writes on {@code side} (the migration account and replication keep working
   * where the engine allows) and ends the sessions the fence does not reach.
   */
  FenceResult fenceWrites(String cutoverId, CutoverPlan plan, Side side);

  /** Lifts the fence on {@code side}. */
  FenceResult unfenceWrites(String cutoverId, CutoverPlan plan, Side side);

  /**
   * Waits until no application write session remains on {@code side} (migration account and
   * Switchback excluded). Fails with type {@code WritersRemain}, naming them, after {@code
   * thresholds.sessionCheckTimeout}.
   */
  SessionReport checkSessions(String cutoverId, CutoverPlan plan, Side side);

  /**
   * Revokes the migration account's write privileges on both sides (the seed's last step), ends its
   * sessions opened before the revoke and checks that no write path is left. Each side is tried
   * even when the other fails; fails (non-retryable {@code WritePathsLeft}, or {@code InvalidPlan}
   * for an account that does not exist) naming what is left on which side.
   */
  String revokeMigrationAccount(String cutoverId, CutoverPlan plan);
}
