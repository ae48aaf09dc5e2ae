package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Waits and limits, as duration strings ({@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}).
 * Defaults are the seed's, made to fit the provider: one without an exact drain position (DTS)
 * waits for latency 0 and then a whole stability window, and prechecks its reverse job for minutes,
 * so its drain and instance deadlines are longer (see {@link #defaults(MigrationSpec)}).
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

  /** The defaults for a provider that proves the drain by position (PostgreSQL, MySQL, Redis). */
  public static Thresholds defaults() {
    return new Thresholds("5s", "30m", "2m", "2m", "2s", "30s", "5m");
  }

  /**
   * The defaults for {@code migration}'s provider. Without an exact position the drain is latency 0
   * (first read some seconds after the fence), then the 2-minute window, which a spike restarts: a
   * drain deadline equal to the window could never be met, so it is 10 minutes (room for the first
   * 0 and for restarts). DTS's CreateReverseDtsJob prechecks the reverse job and then collects
   * incremental data before the job can be started (the API page gives no duration; the console's
   * precheck takes minutes), so a reverse start may take 15 minutes.
   */
  public static Thresholds defaults(MigrationSpec migration) {
    Thresholds d = defaults();
    if (migration == null || migration.provesDrainExactly()) {
      return d;
    }
    return new Thresholds(
        d.maxLatencyToStart,
        d.catchUpTimeout,
        "10m",
        d.stabilityWindow,
        d.stabilityTolerance,
        d.sessionCheckTimeout,
        "15m");
  }

  /** This with {@code migration}'s provider's defaults wherever the operator said nothing. */
  public Thresholds withDefaults(MigrationSpec migration) {
    Thresholds d = defaults(migration);
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
