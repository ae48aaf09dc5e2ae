package dev.switchback.activities.impl;

import dev.switchback.messages.values.InstanceState;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.time.Duration;

/**
 * One wait inside an activity (DESIGN.md section 6): the condition is polled in-process every
 * {@code pollInterval} and each poll heartbeats, so history stays small and the workflow reacts
 * within a poll. The deadline counts from the first attempt (taken from the previous attempt's
 * heartbeat), so Temporal's retries cannot stretch a timeout the operator chose.
 */
final class Waiter {
  private final ActivityExecutionContext context;
  private final WaitClock clock;
  private final Duration pollInterval;
  private final String waitKey;
  private final long startedAt;
  private final long deadline;
  private final WaitProgress resumed;
  private int polls;

  private Waiter(
      ActivityExecutionContext context,
      WaitClock clock,
      Duration pollInterval,
      String waitKey,
      Duration timeout) {
    this.context = context;
    this.clock = clock;
    this.pollInterval = pollInterval;
    this.waitKey = waitKey;
    this.resumed =
        context
            .getHeartbeatDetails(WaitProgress.class)
            .filter(p -> waitKey.equals(p.waitKey()))
            .orElse(null);
    this.startedAt = resumed != null ? resumed.startedAtMillis() : clock.millis();
    this.deadline = startedAt + timeout.toMillis();
  }

  static Waiter start(WaitClock clock, Duration pollInterval, String waitKey, Duration timeout) {
    return new Waiter(Activity.getExecutionContext(), clock, pollInterval, waitKey, timeout);
  }

  /** The previous attempt's last heartbeat for this wait, or null on the first attempt. */
  WaitProgress resumed() {
    return resumed;
  }

  long startedAt() {
    return startedAt;
  }

  long now() {
    return clock.millis();
  }

  long elapsedMs() {
    return clock.millis() - startedAt;
  }

  boolean expired() {
    return clock.millis() >= deadline;
  }

  int polls() {
    return polls;
  }

  /** Sends {@code progress} as the heartbeat; throws when the activity was cancelled. */
  void beat(WaitProgress progress) {
    context.heartbeat(progress);
  }

  /** Sleeps one poll interval, never past the deadline, so the last check happens on time. */
  void pause() {
    polls++;
    long left = deadline - clock.millis();
    long ms = Math.max(0, Math.min(pollInterval.toMillis(), left));
    try {
      clock.sleep(Duration.ofMillis(ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + waitKey, e);
    }
  }

  /** A progress record for this wait with the common fields filled in. */
  WaitProgress progress(
      InstanceState last, Long windowStartedAt, int windowRestarts, String target, String detail) {
    return new WaitProgress(
        waitKey,
        startedAt,
        clock.millis(),
        polls,
        last,
        windowStartedAt,
        windowRestarts,
        target,
        detail);
  }

  /** Beats a progress record about {@code last} with {@code detail}. */
  void beat(InstanceState last, String detail) {
    beat(progress(last, null, 0, null, detail));
  }
}
