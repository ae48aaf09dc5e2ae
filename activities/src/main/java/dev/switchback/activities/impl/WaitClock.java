package dev.switchback.activities.impl;

import java.time.Duration;

/**
 * The time the waits run on: the wall clock in production; in tests a clock whose {@code sleep}
 * only moves time forward, so a two-minute stability window is checked in milliseconds.
 */
public interface WaitClock {

  /**
   * Now, as epoch milliseconds: stored in heartbeat details, so a retry on another worker agrees.
   */
  long millis();

  void sleep(Duration duration) throws InterruptedException;

  WaitClock SYSTEM =
      new WaitClock() {
        @Override
        public long millis() {
          return System.currentTimeMillis();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
          Thread.sleep(duration.toMillis());
        }
      };
}
