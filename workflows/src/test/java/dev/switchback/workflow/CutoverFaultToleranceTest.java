package dev.switchback.workflow;

import static dev.switchback.workflow.CutoverTestEnv.await;
import static dev.switchback.workflow.CutoverTestEnv.result;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.MigrationSpec;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10, "trust under real faults": the saga never turns a healthy cutover into an outage. Each
 * test is a finding that once failed: a finalize failure that rolled a finished cutover back, a
 * compensation racing the step it undoes, a rollback request that waited for the tests, workflow
 * code that retried forever after an unexpected exception, a soak whose history grew with its
 * length, a rollback that left the paused forward instance holding the source's WAL.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CutoverFaultToleranceTest {
  private CutoverTestEnv t;
  private FakeActivities fake;

  @BeforeEach
  void setUp() {
    t = new CutoverTestEnv();
    fake = t.fake;
  }

  @AfterEach
  void tearDown() {
    t.close();
  }

  // ------------------------------------------------ finalize is the point of no return (finding 1)

  @ParameterizedTest(name = "{0} fails")
  @ValueSource(
      strings = {
        "terminateInstance:REVERSE",
        "terminateInstance:FORWARD",
        "revokeMigrationAccount"
      })
  void aFinalizeFailureLeavesTheApplicationRunningOnTheDestination(String failing)
      throws Exception {
    fake.failAlways.add(failing);
    CutoverReport report = result(t.start(TestPlans.auto()));

    assertEquals(Outcome.COMPLETED, report.outcome(), report.toString());
    assertEquals(Side.DESTINATION, report.applicationTarget());
    // Every finalize step is tried; nothing quiesces, fences or points the application again.
    assertEquals(CutoverWorkflowTest.FORWARD, fake.mutations());
    assertTrue(
        report.manualActions().stream().anyMatch(a -> a.contains(failing) && a.contains("failed")),
        report.manualActions().toString());
    assertTrue(report.reason().contains("finalize"), report.reason());
  }

  @Test
  void cancellingTheWorkflowDuringFinalizeFinishesFinalizeAndNeverRollsBack() throws Exception {
    fake.hold("terminateInstance:FORWARD");
    CutoverWorkflow wf = t.start(TestPlans.plan(TestPlans.allAuto(), "0s"));
    try {
      assertTrue(fake.awaitEntered("terminateInstance:FORWARD"));
      WorkflowStub.fromTyped(wf).cancel();
      awaitHistory(wf, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    } finally {
      fake.release("terminateInstance:FORWARD");
    }
    try {
      result(wf);
    } catch (java.util.concurrent.ExecutionException e) {
      assertTrue(e.getCause() instanceof WorkflowFailedException, e.toString());
    }
    CutoverStatus status = wf.status();
    assertEquals(Outcome.COMPLETED, status.outcome());
    assertEquals(Side.DESTINATION, status.applicationTarget());
    assertEquals(CutoverWorkflowTest.FORWARD, fake.mutations());
  }

  // ------------------------------------- a mutating step finishes before its undo (finding 2)

  @ParameterizedTest(name = "cancel during {0}")
  @CsvSource({
    "pauseInstance:FORWARD, unfenceWrites:SOURCE",
    "syncSequences:FORWARD, unfenceWrites:SOURCE",
    "startReverseIncremental, terminateInstance:REVERSE"
  })
  void aCancelledMutatingStepFinishesBeforeItsCompensationStarts(String step, String compensation)
      throws Exception {
    fake.hold(step);
    CutoverWorkflow wf = t.start(TestPlans.auto());
    try {
      assertTrue(fake.awaitEntered(step));
      WorkflowStub.fromTyped(wf).cancel();
      // The workflow task that handles the cancel would schedule the compensation right away if
      // it did not wait for the step: look at what it scheduled.
      awaitHistory(wf, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
      List<HistoryEvent> events = history(wf);
      int cancel = indexOf(events, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
      assertTrue(
          events.subList(cancel, events.size()).stream()
              .noneMatch(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
          "a compensation was scheduled while " + step + " was still running");
    } finally {
      fake.release(step);
    }
    try {
      result(wf);
    } catch (java.util.concurrent.ExecutionException e) {
      assertTrue(e.getCause() instanceof WorkflowFailedException, e.toString());
    }
    List<String> calls = List.copyOf(fake.calls);
    assertTrue(
        calls.indexOf(step + ":done") < calls.indexOf(compensation),
        step + " must finish before " + compensation + ": " + calls);
    assertEquals(Outcome.ROLLED_BACK, wf.status().outcome());
  }

  // -------------------------------- a rollback request interrupts tests and validation (finding 3)

  @ParameterizedTest(name = "rollback during {0}")
  @CsvSource({
    "checkSessions:SOURCE, unfenceWrites:SOURCE",
    "awaitDrained:FORWARD, unfenceWrites:SOURCE",
    "runTests, quiesceApplication",
    "validateData, quiesceApplication"
  })
  void aRollbackRequestInterruptsAReadOnlyStepAtOnce(String step, String compensation)
      throws Exception {
    fake.hold(step);
    CutoverWorkflow wf = t.start(TestPlans.auto());
    try {
      assertTrue(fake.awaitEntered(step));
      wf.requestRollback(new RollbackRequest("alice", "customers see errors"));
      // The rollback runs while the step is still busy: after the switch the application does not
      // keep writing to the destination for as long as the tests take.
      await(
          "the rollback runs " + compensation + " while " + step + " still runs",
          () -> fake.mutations().lastIndexOf(compensation) > fake.mutations().indexOf(step));
    } finally {
      fake.release(step);
    }
    CutoverReport report = result(wf);
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    assertEquals("alice", report.requestedBy());
    String name = step.split(":")[0];
    TimelineEntry entry =
        report.timeline().stream().filter(e -> e.step().equals(name)).findFirst().orElseThrow();
    assertEquals("INTERRUPTED", entry.outcome(), entry.toString());
  }

  // -------------------------------------- unexpected exceptions in workflow code fail safe (9)

  @Test
  void anUnexpectedExceptionInWorkflowCodeRollsBackInsteadOfRetryingForever() throws Exception {
    fake.runTestsReturnsNull = true;
    CutoverReport report = result(t.start(TestPlans.auto()));
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    assertEquals(Side.SOURCE, report.applicationTarget());
    assertTrue(report.reason().contains("internal error"), report.reason());
    assertTrue(fake.mutations().containsAll(CutoverWorkflowTest.ROLLBACK_AFTER_SWITCH));
  }

  // ------------------------------------------------------------ a long soak (finding 5)

  @Test
  void aThirtyDaySoakStaysUnderAThousandHistoryEvents() throws Exception {
    CutoverPlan plan = TestPlans.plan(TestPlans.allAuto(), "30d");
    CutoverWorkflow wf = t.start(plan);
    CutoverReport report = result(wf);
    assertEquals(Outcome.COMPLETED, report.outcome());
    int events = history(wf).size();
    System.out.println("30-day soak: " + events + " history events");
    assertTrue(events < 1000, events + " history events for a 30-day soak");
    TimelineEntry soak =
        report.timeline().stream().filter(e -> e.step().equals("soak")).findFirst().orElseThrow();
    assertTrue(
        soak.endedAtMillis() - soak.startedAtMillis() >= TimeUnit.DAYS.toMillis(30),
        soak.toString());
  }

  // --------------------------------------- a rollback ends the paused forward instance (finding
  // 12)

  @Test
  void aRollbackEndsThePausedForwardInstanceSoItHoldsNothingOnTheSource() throws Exception {
    fake.smokeTestFails = true;
    CutoverReport report = result(t.start(TestPlans.auto()));
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    List<String> m = fake.mutations();
    assertEquals("terminateInstance:FORWARD", m.get(m.size() - 1), m.toString());
    assertTrue(m.indexOf("resumeApplication") < m.lastIndexOf("terminateInstance:FORWARD"));
  }

  @Test
  void failingToEndTheForwardInstanceIsAManualActionNotAFailedRollback() throws Exception {
    fake.smokeTestFails = true;
    fake.failAlways.add("terminateInstance:FORWARD");
    CutoverReport report = result(t.start(TestPlans.auto()));
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    assertEquals(Side.SOURCE, report.applicationTarget());
    assertTrue(
        report.manualActions().stream()
            .anyMatch(a -> a.contains("sb_fwd") && a.contains("replication slot")),
        report.manualActions().toString());
  }

  // ------------------------------- the destination's fence after a Redis rollback (finding 8)

  @Test
  void aRedisRollbackLiftsThePauseItCannotKeepAndSaysTheDestinationIsWritable() throws Exception {
    fake.smokeTestFails = true;
    CutoverReport report = result(t.start(redis(TestPlans.auto())));
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    List<String> m = fake.mutations();
    assertTrue(
        m.indexOf("resumeApplication") < m.lastIndexOf("unfenceWrites:DESTINATION"), m.toString());
    assertTrue(
        report.manualActions().stream().noneMatch(a -> a.contains("stays fenced")),
        report.manualActions().toString());
    assertTrue(
        report.manualActions().stream().anyMatch(a -> a.contains("destination is writable")),
        report.manualActions().toString());
  }

  // ----------------------------------------------------------------------------- helpers

  static CutoverPlan redis(CutoverPlan p) {
    return new CutoverPlan(
        p.name(),
        new MigrationSpec("redis", "sb_fwd", null, null),
        p.source(),
        p.destination(),
        p.migrationAccount(),
        p.router(),
        p.thresholds(),
        p.gates(),
        p.approvers(),
        p.approvals(),
        p.tests(),
        null,
        p.soak());
  }

  private List<HistoryEvent> history(CutoverWorkflow wf) {
    String id = WorkflowStub.fromTyped(wf).getExecution().getWorkflowId();
    return t.client.fetchHistory(id).getEvents();
  }

  private void awaitHistory(CutoverWorkflow wf, EventType type) {
    await("history event " + type, () -> indexOf(history(wf), type) >= 0);
  }

  private static int indexOf(List<HistoryEvent> events, EventType type) {
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).getEventType() == type) {
        return i;
      }
    }
    return -1;
  }
}
