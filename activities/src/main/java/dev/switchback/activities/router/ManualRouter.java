package dev.switchback.activities.router;

import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;

/**
 * A human moves the application; Switchback only says what to do, in the timeline and the report.
 *
 * <p>With a manual router the gates are the confirmation. Approve {@code quiesce} only once the
 * application has stopped writing to the source (the fence and the session check that follow catch
 * what was missed). Approve {@code switch} only once the application is pointed at the destination
 * with its writes still stopped, and be ready to resume them: Switchback records the point and
 * resume steps right after the approval and starts the smoke tests. On a rollback the same steps
 * come back in reverse, pointing at the source. This router never touches the application, so it
 * cannot fail and it cannot see where the application points ({@code target} is null).
 */
public final class ManualRouter implements TrafficRouter {
  public static final String NAME = "manual";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RouterState quiesce(String cutoverId, CutoverPlan plan) {
    return new RouterState(
        null,
        true,
        "manual router: stop the application's writes to the source ("
            + url(plan, Side.SOURCE)
            + ") now and keep them stopped; the quiesce gate approval confirms it, the fence"
            + " and the session check verify it");
  }

  @Override
  public RouterState point(String cutoverId, CutoverPlan plan, Side target) {
    if (target == Side.DESTINATION) {
      return new RouterState(
          target,
          true,
          "manual router: point the application at destination "
              + url(plan, target)
              + " now, writes still stopped; the switch gate approval confirms it");
    }
    return new RouterState(
        target,
        true,
        "manual router (rollback): point the application back at source "
            + url(plan, target)
            + " now, writes still stopped; the source has been brought up to date");
  }

  @Override
  public RouterState resume(String cutoverId, CutoverPlan plan) {
    return new RouterState(
        null,
        false,
        "manual router: resume the application's writes now, on the side you pointed it at");
  }

  @Override
  public RouterState state(String cutoverId, CutoverPlan plan) {
    return new RouterState(
        null,
        false,
        "manual router: Switchback cannot see where the application points; the gates are the"
            + " confirmation");
  }

  private static String url(CutoverPlan plan, Side side) {
    return plan.endpoint(side) == null ? "(no url)" : plan.endpoint(side).url();
  }
}
