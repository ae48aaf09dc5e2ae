package dev.switchback.plan;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The least and the most every duration field of a plan may be, and why. A value outside them is a
 * typo or a plan that cannot work (a test with no time to run, a soak of centuries), so the
 * validator refuses it before any side effect instead of the workflow failing later.
 */
public final class DurationLimits {

  /**
   * @param min the shortest value that makes sense, as written in a plan
   * @param max the longest
   * @param meaning what the field bounds, for the message
   */
  public record Limit(String min, String max, String meaning) {
    public Duration minimum() {
      return Durations.parse(min);
    }

    public Duration maximum() {
      return Durations.parse(max);
    }
  }

  /** Field (test index and gate name generalised) to its limit, in plan order. */
  public static final Map<String, Limit> FIELDS = fields();

  private DurationLimits() {}

  private static Map<String, Limit> fields() {
    Map<String, Limit> m = new LinkedHashMap<>();
    m.put(
        "router.timeout",
        new Limit("100ms", "10m", "one call to the router (writes may be stopped meanwhile)"));
    m.put(
        "thresholds.maxLatencyToStart",
        new Limit(
            "100ms",
            "10m",
            "the latency to start from (the drain, with writes stopped, lasts about as long)"));
    // Nothing is stopped while the instance catches up, so a long wait harms nobody.
    m.put("thresholds.catchUpTimeout", new Limit("10s", "30d", "the wait for the catch-up"));
    m.put("thresholds.drainTimeout", new Limit("1s", "6h", "the drain, with writes stopped"));
    m.put(
        "thresholds.stabilityWindow",
        new Limit("1s", "1h", "the stability window (the seed: 1 to 3 minutes)"));
    // 0s is meaningful: latency must stay exactly 0 through the window.
    m.put(
        "thresholds.stabilityTolerance",
        new Limit("0s", "1m", "the latency allowed during the stability window"));
    m.put(
        "thresholds.sessionCheckTimeout",
        new Limit("1s", "1h", "the wait for application sessions to end after the fence"));
    m.put(
        "thresholds.instanceTimeout",
        new Limit(
            "5s",
            "24h",
            "a pause or a reverse start (a DTS reverse job is prechecked first, for minutes)"));
    // A human approves a gate; under a minute nobody can.
    m.put("gates.timeout", new Limit("1m", "30d", "the wait for a gate's approval"));
    m.put("tests[].timeout", new Limit("1s", "6h", "one smoke test after the switch"));
    // 0s: no soak. The rollback path is kept (and paid for) until the end of the soak.
    m.put("soak", new Limit("0s", "30d", "the soak before finalize"));
    return Collections.unmodifiableMap(m);
  }

  /** The limit of {@code field} ({@code tests[2].timeout}, {@code gates.switch.timeout}). */
  public static Limit of(String field) {
    String key = field.replaceAll("\\[\\d+]", "[]").replaceAll("^gates\\.[a-z]+\\.", "gates.");
    Limit limit = FIELDS.get(key);
    if (limit == null) {
      throw new IllegalArgumentException("no duration limit for " + field);
    }
    return limit;
  }
}
