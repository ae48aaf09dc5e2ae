package dev.switchback.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import dev.switchback.activities.FailureTypes;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.plan.CutoverPlan;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Switchback's own meters (issue 12), read from a Micrometer registry fed by the SDK's reporter as
 * the worker's is. The worker keeps no workflow cache (every task replays the history), so the
 * environment here keeps none either: each count must still be exact, and replaying the finished
 * histories must count nothing again.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CutoverMetricsTest {
  private SimpleMeterRegistry registry;
  private Scope scope;
  private CutoverTestEnv t;

  @BeforeEach
  void setUp() {
    registry = new SimpleMeterRegistry();
    scope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(com.uber.m3.util.Duration.ofMillis(50));
    t =
        new CutoverTestEnv(
            TestEnvironmentOptions.newBuilder()
                .setMetricsScope(scope)
                .setWorkerFactoryOptions(
                    WorkerFactoryOptions.newBuilder().setWorkflowCacheSize(0).build())
                .build());
  }

  @AfterEach
  void tearDown() throws Exception {
    t.close();
    scope.close();
  }

  @Test
  void aCutoverAndARollbackAreCountedOnceWithTheirOutagesAndPhasesAndReplayCountsNothing()
      throws Exception {
    CutoverPlan plan = TestPlans.auto();
    CutoverReport completed = CutoverTestEnv.result(t.start(plan));
    WorkflowExecutionHistory completedHistory = t.client.fetchHistory(plan.workflowId());
    t.fake.smokeTestFails = true;
    CutoverReport rolledBack = CutoverTestEnv.result(t.start(plan));
    assertEquals(Outcome.COMPLETED, completed.outcome(), completed.toString());
    assertEquals(Outcome.ROLLED_BACK, rolledBack.outcome(), rolledBack.toString());
    List<WorkflowExecutionHistory> histories =
        List.of(completedHistory, t.client.fetchHistory(plan.workflowId()));

    // Another worker reporting into the same registry (a restarted worker) replays both runs.
    try (TestWorkflowEnvironment other =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setMetricsScope(scope).build())) {
      Worker replayer = other.newWorker(CutoverWorkflow.TASK_QUEUE);
      replayer.registerWorkflowImplementationTypes(CutoverWorkflowImpl.class);
      for (WorkflowExecutionHistory history : histories) {
        WorkflowReplayer.replayWorkflowExecution(history, replayer);
      }
    }
    scope.close(); // reports what is still buffered: a replay's emission would show now

    assertEquals(2, count(CutoverMetrics.STARTED));
    assertEquals(1, count(CutoverMetrics.ENDED, CutoverMetrics.OUTCOME, "COMPLETED"));
    assertEquals(1, count(CutoverMetrics.ENDED, CutoverMetrics.OUTCOME, "ROLLED_BACK"));
    assertEquals(2, count(CutoverMetrics.ENDED), "no other outcome");
    assertTrue(
        registry.find(CutoverMetrics.ENDED).tags(CutoverMetrics.PLAN, "orders").counter() != null,
        "tagged with the plan's name");

    // Both runs switched forward once; the rolled-back one switched back once.
    Timer forward = timer(CutoverMetrics.WRITE_OUTAGE, CutoverMetrics.DIRECTION, "forward");
    Timer back = timer(CutoverMetrics.WRITE_OUTAGE, CutoverMetrics.DIRECTION, "rollback");
    assertEquals(2, forward.count());
    assertEquals(1, back.count());
    assertEquals(
        completed.writeOutageMs() + rolledBack.writeOutageMs(),
        Math.round(
            forward.totalTime(TimeUnit.MILLISECONDS) + back.totalTime(TimeUnit.MILLISECONDS)),
        "the outages recorded add up to the reports' write outage");
    // The router measured its clients' wait at each resume (the fake says 40 ms): one record per
    // switch, beside the outage, counted once too.
    Timer stallForward = timer(CutoverMetrics.CLIENT_STALL, CutoverMetrics.DIRECTION, "forward");
    Timer stallBack = timer(CutoverMetrics.CLIENT_STALL, CutoverMetrics.DIRECTION, "rollback");
    assertEquals(2, stallForward.count());
    assertEquals(1, stallBack.count());
    assertEquals(40, stallBack.max(TimeUnit.MILLISECONDS), 0.5);

    Map<String, Long> phases = new TreeMap<>();
    for (Meter m : registry.find(CutoverMetrics.PHASE_DURATION).meters()) {
      phases.merge(m.getId().getTag(CutoverMetrics.PHASE), ((Timer) m).count(), Long::sum);
    }
    Map<String, Long> expected = new TreeMap<>();
    for (Phase p :
        List.of(
            Phase.PREFLIGHT,
            Phase.CATCH_UP,
            Phase.STOPPING_WRITES,
            Phase.VERIFYING_QUIESCE,
            Phase.DRAINING,
            Phase.SYNCING_SEQUENCES,
            Phase.STARTING_REVERSE,
            Phase.SWITCHING,
            Phase.TESTING)) {
      expected.put(p.name(), 2L);
    }
    expected.put(Phase.SOAKING.name(), 1L);
    expected.put(Phase.FINALIZING.name(), 1L);
    expected.put(Phase.ROLLING_BACK.name(), 1L);
    assertEquals(expected, phases, "each phase left once per run that was in it; DONE never");
    // The plan soaks 10m: the time-skipped soak is recorded as workflow time.
    assertTrue(
        timer(CutoverMetrics.PHASE_DURATION, CutoverMetrics.PHASE, "SOAKING")
                .totalTime(TimeUnit.SECONDS)
            >= 600,
        "soak duration");
    assertEquals(0, count(CutoverMetrics.FENCE_LAPSES));
  }

  @Test
  void aLapsedFenceIsCountedWithItsStepAndTheCutoverRollsBack() throws Exception {
    t.fake.failOnceAs.put("startReverseIncremental", FailureTypes.FENCE_LAPSED);
    CutoverReport report = CutoverTestEnv.result(t.start(TestPlans.auto()));
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    scope.close();
    assertEquals(
        1, count(CutoverMetrics.FENCE_LAPSES, CutoverMetrics.STEP, "startReverseIncremental"));
    assertEquals(1, count(CutoverMetrics.FENCE_LAPSES));
    assertEquals(1, count(CutoverMetrics.ENDED, CutoverMetrics.OUTCOME, "ROLLED_BACK"));
  }

  @Test
  void aRouterThatCannotMeasureTheStallRecordsNone() throws Exception {
    t.fake.clientStallMs = null;
    CutoverReport report = CutoverTestEnv.result(t.start(TestPlans.auto()));
    assertEquals(Outcome.COMPLETED, report.outcome(), report.toString());
    scope.close();
    assertEquals(
        1, timer(CutoverMetrics.WRITE_OUTAGE, CutoverMetrics.DIRECTION, "forward").count());
    assertEquals(List.of(), registry.find(CutoverMetrics.CLIENT_STALL).meters());
  }

  @Test
  void anAbortBeforeAnyWriteStoppedHasNoOutage() throws Exception {
    t.fake.preflightFails = true;
    CutoverReport report = CutoverTestEnv.result(t.start(TestPlans.auto()));
    assertEquals(Outcome.ABORTED, report.outcome(), report.toString());
    scope.close();
    assertEquals(1, count(CutoverMetrics.ENDED, CutoverMetrics.OUTCOME, "ABORTED"));
    assertEquals(List.of(), registry.find(CutoverMetrics.WRITE_OUTAGE).meters());
    assertEquals(1, timer(CutoverMetrics.PHASE_DURATION, CutoverMetrics.PHASE, "ABORTING").count());
  }

  private double count(String name, String... tags) {
    List<Double> counts = new ArrayList<>();
    registry.find(name).tags(tags).counters().stream().map(Counter::count).forEach(counts::add);
    return counts.stream().mapToDouble(Double::doubleValue).sum();
  }

  private Timer timer(String name, String... tags) {
    Timer timer = registry.find(name).tags(tags).timer();
    if (timer == null) {
      throw new AssertionError("no timer " + name + " " + List.of(tags) + " in " + meters());
    }
    return timer;
  }

  private List<String> meters() {
    return registry.getMeters().stream()
        .map(m -> m.getId().getName() + m.getId().getTags())
        .filter(s -> s.startsWith("switchback"))
        .toList();
  }
}
