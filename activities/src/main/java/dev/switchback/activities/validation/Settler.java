package dev.switchback.activities.validation;

import java.time.Duration;

/**
 * The reverse instance, seen by a validation that runs after the switch: the application writes to
 * the destination and the reverse instance carries those writes to the source a moment later, so a
 * row can differ only because it is in flight. A validation given a settler rechecks each differing
 * row: it reads the row on the destination, waits until the source has applied everything up to the
 * destination's position taken after that read, and reads the row on the source; equal then means
 * it was in flight, different (while the destination's row did not change meanwhile) is a real
 * difference.
 */
public interface Settler {

  /**
   * The destination's write position now (an LSN, a GTID set, an offset), or null when the
   * migration provider has no exact position (then differences are not rechecked).
   */
  String position();

  /** Whether the source has applied everything up to {@code position}. */
  boolean reached(String position);

  /** The longest wait for the source to reach a position before giving up the recheck. */
  default Duration maxWait() {
    return Duration.ofSeconds(60);
  }
}
