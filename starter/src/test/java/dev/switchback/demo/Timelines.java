package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.messages.values.TimelineEntry;
import java.util.List;
import java.util.function.Supplier;

/** Assertions on a cutover's timeline shared by the end-to-end tests. */
final class Timelines {
  private Timelines() {}

  /** {@code steps} ran in this order (others may run between them), each with outcome OK. */
  static void assertStepsInOrder(List<TimelineEntry> timeline, String... steps) {
    assertStepsInOrder(
        timeline, () -> timeline.stream().map(TimelineEntry::step).toList().toString(), steps);
  }

  /** As above; {@code listing} describes the timeline when a step is missing. */
  static void assertStepsInOrder(
      List<TimelineEntry> timeline, Supplier<String> listing, String... steps) {
    int from = 0;
    for (String step : steps) {
      int found = -1;
      for (int i = from; i < timeline.size(); i++) {
        if (timeline.get(i).step().equals(step)) {
          found = i;
          break;
        }
      }
      assertTrue(found >= 0, step + " missing or out of order in " + listing.get());
      assertEquals("OK", timeline.get(found).outcome(), step + ": " + timeline.get(found).detail());
      from = found + 1;
    }
  }
}
