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
   * What this router must be allowed and configured to do for the plan, beyond {@link #state}
   * (which preflight also calls), each as its own check. Looks only: changes nothing.
   */
  default List<PreflightCheck> preflight(String cutoverId, CutoverPlan plan) {
    return List.of();
  }
}
