package dev.switchback.activities.support;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Waits for a condition, bounded by a deadline. Replication, fences and servers answer
 * asynchronously, and this machine's load decides how fast: a fixed sleep either wastes time or
 * races, so tests wait for what they need to see, and fail with what they saw last.
 */
public final class Await {
  /** Short enough that a wait ends soon after its condition holds, long enough not to load. */
  private static final long POLL_MS = 20;

  private Await() {}

  /**
   * Polls {@code probe} until {@code done} holds and returns that value; fails with the last value
   * (or error) seen when {@code timeout} passes. A probe that throws is retried: a server that is
   * still starting answers with an error.
   */
  public static <T> T until(String what, Duration timeout, Callable<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = null;
    Exception lastError = null;
    while (true) {
      try {
        last = probe.call();
        lastError = null;
        if (done.test(last)) {
          return last;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      } catch (Exception e) {
        lastError = e;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + timeout + " waiting for " + what + "; last: " + last, lastError);
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }

  /** Waits until {@code condition} answers true. */
  public static void until(String what, Duration timeout, Callable<Boolean> condition) {
    until(what, timeout, condition, Boolean.TRUE::equals);
  }
}
