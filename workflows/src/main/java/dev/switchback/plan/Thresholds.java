package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Waits and limits, as duration strings ({@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}).
 * Defaults are the seed's.
 *
 * @param maxLatencyToStart latency the forward instance must be under before quiescing (seed: 5 s)
 * @param catchUpTimeout how long to wait for that before aborting
 * @param drainTimeout how long the drain proof may take after the fence before rolling back
 * @param stabilityWindow for providers without an exact position (DTS): how long latency must stay
 *     within {@code stabilityTolerance} after reaching 0 (seed: 1 to 3 minutes)
 * @param stabilityTolerance the seed's "fluctuates within 2 seconds"
 * @param sessionCheckTimeout how long application write sessions may take to end after the fence
 * @param instanceTimeout how long a pause or a reverse start may take to reach its status
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Thresholds(
    String maxLatencyToStart,
    String catchUpTimeout,
    String drainTimeout,
    String stabilityWindow,
    String stabilityTolerance,
    String sessionCheckTimeout,
    String instanceTimeout) {

  public static Thresholds defaults() {
    return new Thresholds("5s", "30m", "2m", "2m", "2s", "30s", "5m");
  }

  public Thresholds withDefaults() {
    Thresholds d = defaults();
    return new Thresholds(
        or(maxLatencyToStart, d.maxLatencyToStart),
        or(catchUpTimeout, d.catchUpTimeout),
        or(drainTimeout, d.drainTimeout),
        or(stabilityWindow, d.stabilityWindow),
        or(stabilityTolerance, d.stabilityTolerance),
        or(sessionCheckTimeout, d.sessionCheckTimeout),
        or(instanceTimeout, d.instanceTimeout));
  }

  private static String or(String value, String fallback) {
    return value == null ? fallback : value;
  }
}
