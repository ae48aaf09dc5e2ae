package dev.switchback.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.enums.v1.RetryState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The operator reads why a step failed in words: which step, what ran out, what to check. */
class FailuresTest {
  private static ActivityFailure activity(String type, Throwable cause) {
    return new ActivityFailure(
        "Activity task failed",
        5,
        6,
        type,
        "7",
        RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
        "worker@host",
        cause);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "TIMEOUT_TYPE_HEARTBEAT, stopped reporting progress, worker running it died",
    "TIMEOUT_TYPE_START_TO_CLOSE, did not finish within its deadline, deadline",
    "TIMEOUT_TYPE_SCHEDULE_TO_START, no worker picked it up, task queue 'switchback'",
    "TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, did not finish within its deadline, attempts"
  })
  void aTimeoutIsExplainedInWordsNeverAsARawEnum(String type, String what, String hint) {
    String text =
        Failures.describe(
            activity("RunTests", new TimeoutFailure("timeout", null, TimeoutType.valueOf(type))));
    assertTrue(text.startsWith("runTests "), text);
    assertTrue(text.contains(what), text);
    assertTrue(text.contains(hint), text);
    assertFalse(text.contains("TIMEOUT_TYPE"), text);
    assertFalse(text.contains("timeoutType"), text);
  }

  @Test
  void anApplicationFailureKeepsItsTypeAndMessage() {
    String text =
        Failures.describe(
            activity(
                "FenceWrites",
                ApplicationFailure.newNonRetryableFailure(
                    "permission denied for role app", "PermissionDenied")));
    assertEquals("PermissionDenied: permission denied for role app", text);
  }

  @Test
  void theReasonACutoverStopsNamesTheStepFirst() {
    assertEquals(
        "fenceWrites failed: PermissionDenied: no privilege",
        Failures.reason(
            activity(
                "FenceWrites",
                ApplicationFailure.newNonRetryableFailure("no privilege", "PermissionDenied"))));
    String timeout =
        Failures.reason(
            activity(
                "RunTests",
                new TimeoutFailure("timeout", null, TimeoutType.TIMEOUT_TYPE_HEARTBEAT)));
    assertTrue(timeout.startsWith("runTests stopped reporting progress"), timeout);
  }
}
