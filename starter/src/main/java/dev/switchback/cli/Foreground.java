package dev.switchback.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How a serving command runs: until Ctrl-C (or {@link #stop()}, for tests), and what it opened is
 * closed before the JVM halts, since the shutdown hook waits for that.
 */
final class Foreground {
  /** What runs once the server is up (report the address), before waiting for the stop. */
  interface WhileUp {
    void run() throws InterruptedException;
  }

  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);

  /** Ends {@link #serve} as Ctrl-C does. */
  void stop() {
    stop.countDown();
  }

  /**
   * Runs {@code whileUp}, waits for Ctrl-C or {@link #stop()}, then runs {@code close}, also when
   * {@code whileUp} fails.
   */
  void serve(String hookName, Runnable close, WhileUp whileUp) throws InterruptedException {
    Thread hook = new Thread(this::stopAndWait, hookName);
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      whileUp.run();
      stop.await();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Already exiting: the hook is what brought us here.
      }
      close.run();
      closed.countDown();
    }
  }

  /** On Ctrl-C: let {@link #serve} close what it opened before the JVM halts. */
  private void stopAndWait() {
    stop();
    try {
      closed.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
