package dev.switchback.activities.spi;

import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.util.List;

/** How the application is stopped, pointed and resumed. Every method must be idempotent. */
public interface TrafficRouter {

  /** The router type used in plans ({@code router.type}). */
  String name();

  RouterState quiesce(String cutoverId, CutoverPlan plan);

  RouterState point(String cutoverId, CutoverPlan plan, Side target);

  RouterState resume(String cutoverId, CutoverPlan plan);

  /** Where the application points now, for preflight and status. */
  RouterState state(String cutoverId, CutoverPlan plan);

  /**
   * Read-only checks of what the router needs before the cutover starts (its admin interface
   * reachable with the rights it needs, the names the plan gives present), beside {@link #state}.
   * Changes nothing. None by default.
   */
  default List<PreflightCheck> preflight(String cutoverId, CutoverPlan plan) {
    return List.of();
  }
}
