package dev.switchback.activities.impl;

import dev.switchback.activities.RouterActivities;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;

/** The application's steps, passed to the plan's router ({@code router.type}). */
public final class RouterActivitiesImpl implements RouterActivities {
  private final Registry registry;

  public RouterActivitiesImpl(Registry registry) {
    this.registry = registry;
  }

  @Override
  public RouterState quiesceApplication(String cutoverId, CutoverPlan plan) {
    return router(plan).quiesce(cutoverId, plan);
  }

  @Override
  public RouterState pointApplication(String cutoverId, CutoverPlan plan, Side target) {
    return router(plan).point(cutoverId, plan, target);
  }

  @Override
  public RouterState resumeApplication(String cutoverId, CutoverPlan plan) {
    return router(plan).resume(cutoverId, plan);
  }

  private TrafficRouter router(CutoverPlan plan) {
    return registry.router(plan.router() == null ? "manual" : plan.router().type());
  }
}
