package dev.switchback.activities;

import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import io.temporal.activity.ActivityInterface;

/** Post-switch checks. A failing report makes the workflow roll back by itself. */
@ActivityInterface
public interface VerificationActivities {

  /** Runs the plan's smoke tests; never throws for a failing test, reports it. */
  TestReport runTests(String cutoverId, CutoverPlan plan);

  /** Compares source and destination data for the plan's {@code validation} tables. */
  ValidationReport validateData(String cutoverId, CutoverPlan plan);
}
