package dev.switchback.activities.impl;

import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;

/**
 * Compares the source and the destination for the plan's {@code validation} section. The row by row
 * {@link RowByRowValidator} is the simple, obviously correct one; a faster one (hashing chunks of
 * keys) can replace it behind this interface.
 */
public interface DataValidator {

  /**
   * Compares the tables; a difference is a result, not an exception. Throws only when an endpoint
   * cannot be reached at all (Temporal retries then).
   */
  ValidationReport validate(CutoverPlan plan, Connections connections, Progress progress);

  /** Called as rows are compared, so the activity can heartbeat. */
  @FunctionalInterface
  interface Progress {
    void rows(String table, long compared);
  }
}
