package dev.switchback.workflow;

import com.uber.m3.tally.Scope;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import io.temporal.workflow.Workflow;
import java.util.List;
import java.util.Map;

/**
 * Switchback's own meters, beside the Temporal SDK's in the worker's registry (docs/metrics.md).
 *
 * <p>They are emitted from workflow code through {@link Workflow#getMetricsScope()}, whose meters
 * do nothing while the SDK replays history: a cutover replayed after a worker restart, on another
 * worker, or on every workflow task (the worker keeps no sticky cache) is counted once, when its
 * code first runs. Emitting makes no workflow command, so histories replay unchanged. A workflow
 * task that fails after it emitted (its worker killed mid-task) runs again and emits again: counts
 * are at least once; the report is the record.
 *
 * <p>Names are the SDK reporter's (tally) names; the worker's Prometheus registry writes {@code
 * switchback.cutovers} as {@code switchback_cutovers_total} and a timer as {@code ..._seconds}.
 * Every meter carries the SDK's workflow tags (namespace, task_queue, workflow_type) and the plan
 * name.
 */
public final class CutoverMetrics {
  /** Counter: cutovers that passed the plan checks and began. */
  public static final String STARTED = "switchback.cutovers.started";

  /** Counter, tag {@value #OUTCOME}: cutovers that ended, by outcome. */
  public static final String ENDED = "switchback.cutovers";

  /**
   * Timer, tag {@value #DIRECTION}: one record per time application writes resumed, from the moment
   * they stopped (quiesce) until then. The report's write outage is their sum.
   */
  public static final String WRITE_OUTAGE = "switchback.write.outage";

  /**
   * Timer, tag {@value #DIRECTION}: one record per time application writes resumed, where the
   * router measured how long its clients were held (PgBouncer); absent for routers that cannot
   * know.
   */
  public static final String CLIENT_STALL = "switchback.client.stall";

  /** Timer, tag {@value #PHASE}: how long a cutover spent in a phase, recorded when it left it. */
  public static final String PHASE_DURATION = "switchback.phase.duration";

  /** Counter, tag {@value #STEP}: steps that failed because a worker-held fence may have lapsed. */
  public static final String FENCE_LAPSES = "switchback.fence.lapses";

  /** Every meter's name, for the worker's registry configuration and for the docs' checks. */
  public static final List<String> NAMES =
      List.of(STARTED, ENDED, WRITE_OUTAGE, CLIENT_STALL, PHASE_DURATION, FENCE_LAPSES);

  public static final String PLAN = "plan";
  public static final String OUTCOME = "outcome";
  public static final String DIRECTION = "direction";
  public static final String PHASE = "phase";
  public static final String STEP = "step";

  /** {@value #DIRECTION}: writes resumed on the destination (the switch). */
  public static final String FORWARD = "forward";

  /** {@value #DIRECTION}: writes resumed on the source (a rollback, before or after the switch). */
  public static final String ROLLBACK = "rollback";

  private final Scope scope;
  private Phase phase;
  private long phaseSince;

  private CutoverMetrics(Scope scope, Phase phase, long now) {
    this.scope = scope;
    this.phase = phase;
    this.phaseSince = now;
  }

  /** Counts a cutover that began, in {@code phase}, at workflow time {@code now}. */
  static CutoverMetrics started(String plan, Phase phase, long now) {
    CutoverMetrics metrics =
        new CutoverMetrics(Workflow.getMetricsScope().tagged(Map.of(PLAN, plan)), phase, now);
    metrics.scope.counter(STARTED).inc(1);
    return metrics;
  }

  /** Records how long the cutover was in the phase it leaves for {@code next}. */
  void phase(Phase next, long now) {
    if (next == phase) {
      return;
    }
    scope
        .tagged(Map.of(PHASE, phase.name()))
        .timer(PHASE_DURATION)
        .record(com.uber.m3.util.Duration.ofMillis(now - phaseSince));
    phase = next;
    phaseSince = now;
  }

  void ended(Outcome outcome) {
    scope.tagged(Map.of(OUTCOME, outcome.name())).counter(ENDED).inc(1);
  }

  /** One outage: writes stopped {@code millis} ago and resumed now, {@code direction}. */
  void writeOutage(String direction, long millis) {
    scope
        .tagged(Map.of(DIRECTION, direction))
        .timer(WRITE_OUTAGE)
        .record(com.uber.m3.util.Duration.ofMillis(millis));
  }

  /** The router's measure of how long clients were held for the switch that resumed them. */
  void clientStall(String direction, long millis) {
    scope
        .tagged(Map.of(DIRECTION, direction))
        .timer(CLIENT_STALL)
        .record(com.uber.m3.util.Duration.ofMillis(millis));
  }

  void fenceLapsed(String step) {
    scope.tagged(Map.of(STEP, step)).counter(FENCE_LAPSES).inc(1);
  }
}
