package dev.switchback.activities;

import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.activity.ActivityInterface;

/** The application: stop its writes, point it at a side, resume. Every method is idempotent. */
@ActivityInterface
public interface RouterActivities {

  /** Holds (or stops) application writes and returns once none is in flight. */
  RouterState quiesceApplication(String cutoverId, CutoverPlan plan);

  /** Points the application at {@code target}; writes stay held. */
  RouterState pointApplication(String cutoverId, CutoverPlan plan, Side target);

  /** Lets application writes through again. */
  RouterState resumeApplication(String cutoverId, CutoverPlan plan);
}
