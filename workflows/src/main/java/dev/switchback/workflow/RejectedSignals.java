package dev.switchback.workflow;

import dev.switchback.messages.commands.RequestLimits;
import dev.switchback.messages.values.TimelineEntry;
import java.util.List;

/**
 * Rejected signals in the timeline, bounded: the first {@link #LISTED} each get their entry (the
 * history holds every one anyway), the rest are counted in one {@code rejectedSignals} entry.
 * Anyone with namespace access can send signals; without a cap a flood of them would carry the
 * status and the report past Temporal's payload limit.
 */
final class RejectedSignals {
  static final int LISTED = 20;

  /** How much of the latest rejection the counting entry quotes. */
  private static final int LATEST = 200;

  private int listed;
  private int counted;
  private int summaryIndex = -1;

  /** Records a rejected signal in {@code timeline} at workflow time {@code now}. */
  void record(List<TimelineEntry> timeline, String step, String problem, long now) {
    if (listed < LISTED) {
      listed++;
      timeline.add(new TimelineEntry(step, now, now, "REJECTED", problem));
      return;
    }
    counted++;
    String detail =
        counted
            + " more rejected signals not listed (each is in the workflow history); latest: "
            + step
            + ": "
            + RequestLimits.cut("the reason", problem, LATEST);
    if (summaryIndex < 0) {
      timeline.add(new TimelineEntry("rejectedSignals", now, now, "COUNTED", detail));
      summaryIndex = timeline.size() - 1;
    } else {
      TimelineEntry first = timeline.get(summaryIndex);
      timeline.set(
          summaryIndex,
          new TimelineEntry("rejectedSignals", first.startedAtMillis(), now, "COUNTED", detail));
    }
  }
}
