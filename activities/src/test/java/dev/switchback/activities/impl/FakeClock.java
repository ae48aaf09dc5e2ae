package dev.switchback.activities.impl;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that only moves when the code under test sleeps, so long waits take no real time. */
final class FakeClock implements WaitClock {
  static final long START = 1_700_000_000_000L;
  private final AtomicLong now = new AtomicLong(START);

  @Override
  public long millis() {
    return now.get();
  }

  @Override
  public void sleep(Duration duration) {
    now.addAndGet(duration.toMillis());
  }

  /** Milliseconds since the clock was made. */
  long elapsed() {
    return now.get() - START;
  }
}
