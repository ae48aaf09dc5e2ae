package dev.switchback.workflow;

import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;

/**
 * Why a step failed, in the words an operator reads in the timeline and the report: which step,
 * what ran out, what to check. Never a raw Temporal enum.
 */
final class Failures {
  private Failures() {}

  static String describe(Throwable e) {
    String step = e instanceof ActivityFailure af ? stepName(af.getActivityType()) : null;
    Throwable t = underActivity(e);
    if (t instanceof ApplicationFailure af) {
      String msg = af.getOriginalMessage();
      return (af.getType() == null ? "" : af.getType() + ": ") + msg;
    }
    if (t instanceof TimeoutFailure timeout) {
      return (step == null ? "the step " : step + " ") + timeout(timeout);
    }
    if (t instanceof CanceledFailure) {
      return (step == null ? "the step" : step) + " was interrupted";
    }
    return t.getMessage();
  }

  /** The application failure type under an activity's failure, or null. */
  static String type(Throwable e) {
    return underActivity(e) instanceof ApplicationFailure af ? af.getType() : null;
  }

  /** What failed inside the activity wrappers. */
  private static Throwable underActivity(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t instanceof ActivityFailure) {
      t = t.getCause();
    }
    return t;
  }

  /** The reason a failed step ends the cutover: which step, then why. */
  static String reason(Throwable e) {
    String why = describe(e);
    if (e instanceof ActivityFailure af) {
      String step = stepName(af.getActivityType());
      if (step != null && !why.startsWith(step)) {
        return step + " failed: " + why;
      }
    }
    return why;
  }

  private static String timeout(TimeoutFailure t) {
    String lastAttempt =
        t.getCause() == null ? "" : "; the last attempt saw: " + describe(t.getCause());
    TimeoutType type = t.getTimeoutType();
    return switch (type) {
      case TIMEOUT_TYPE_HEARTBEAT ->
          "stopped reporting progress (heartbeat timeout): the worker running it died or lost its"
              + " connection to Temporal; check the worker's log and that a worker is running"
              + lastAttempt;
      case TIMEOUT_TYPE_START_TO_CLOSE ->
          "did not finish within its deadline (the plan's timeout for this step plus a minute)"
              + lastAttempt;
      case TIMEOUT_TYPE_SCHEDULE_TO_START ->
          "was not started: no worker picked it up; start a worker on task queue 'switchback'";
      case TIMEOUT_TYPE_SCHEDULE_TO_CLOSE ->
          "did not finish within its deadline across all its attempts" + lastAttempt;
      default -> "timed out" + lastAttempt;
    };
  }

  /** An activity type as the workflow's step names spell it: {@code RunTests} -> runTests. */
  private static String stepName(String activityType) {
    if (activityType == null || activityType.isEmpty()) {
      return null;
    }
    return Character.toLowerCase(activityType.charAt(0)) + activityType.substring(1);
  }
}
