package dev.switchback.workflow;

import static dev.switchback.workflow.CutoverTestEnv.awaitPhase;
import static dev.switchback.workflow.CutoverTestEnv.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationSpec;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CutoverWorkflowTest {
  static final List<String> FORWARD =
      List.of(
          "checkLatency",
          "quiesceApplication",
          "fenceWrites:SOURCE",
          "checkSessions:SOURCE",
          "awaitDrained:FORWARD",
          "pauseInstance:FORWARD",
          "syncSequences:FORWARD",
          "startReverseIncremental",
          "pointApplication:DESTINATION",
          "resumeApplication",
          "runTests",
          "validateData",
          "terminateInstance:REVERSE",
          "terminateInstance:FORWARD",
          "revokeMigrationAccount");

  /** DESIGN.md section 2: the cutover run the other way, never a naive reverse list. */
  static final List<String> ROLLBACK_AFTER_SWITCH =
      List.of(
          "quiesceApplication",
          "fenceWrites:DESTINATION",
          "checkSessions:DESTINATION",
          "awaitDrained:REVERSE",
          "syncSequences:REVERSE",
          "terminateInstance:REVERSE",
          "unfenceWrites:SOURCE",
          "pointApplication:SOURCE",
          "resumeApplication",
          // A paused forward instance is never resumed; ended, it holds nothing on the source.
          "terminateInstance:FORWARD");

  static final List<String> BACK_TO_SOURCE =
      List.of("unfenceWrites:SOURCE", "pointApplication:SOURCE", "resumeApplication");

  private CutoverTestEnv t;
  private FakeActivities fake;
  private WorkflowClient client;

  @BeforeEach
  void setUp() {
    t = new CutoverTestEnv();
    fake = t.fake;
    client = t.client;
  }

  @AfterEach
  void tearDown(org.junit.jupiter.api.TestInfo info) throws java.io.IOException {
    // mvn test -Dswitchback.recordHistories=DIR keeps each run's history for the replay test.
    if (!info.getDisplayName().startsWith("workflowIdMustBe")) {
      t.recordHistory("cutover-orders", info.getDisplayName());
    }
    t.close();
  }

  private CutoverWorkflow stub(CutoverPlan plan) {
    return t.stub(plan);
  }

  private CutoverReport run(CutoverPlan plan) {
    return stub(plan).run(plan);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  @Test
  void cutoverRunsEveryStepOfTheSeedInOrderAndCompletes() {
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.COMPLETED, report.outcome());
    assertEquals(FORWARD, fake.mutations());
    assertEquals(Side.DESTINATION, report.applicationTarget());
    assertEquals(3, report.approvals().size(), "one AUTO decision per gate");
    assertTrue(report.timeline().stream().allMatch(e -> !e.outcome().equals("RUNNING")));
    assertTrue(report.timeline().stream().anyMatch(e -> e.step().equals("soak")));
  }

  /**
   * Redis attaches the old source as the reverse instance's replica while the fence holds (the
   * provider lifts the pause then), so there is no separate unfence step; a Redis cutover started
   * before this order (history redis-cutover-unfence-first.json) replays its old order.
   */
  @Test
  void redisCutoverAttachesTheReverseInstanceWithoutLiftingTheFenceFirst() {
    CutoverPlan p = TestPlans.auto();
    CutoverPlan redis =
        new CutoverPlan(
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

    CutoverReport report = run(redis);

    assertEquals(Outcome.COMPLETED, report.outcome(), report.toString());
    assertEquals(
        FORWARD.stream().filter(m -> !m.equals("validateData")).toList(), fake.mutations());
    // Terminating the reverse instance ends the replica that fenced the old source: say so.
    assertTrue(
        report.manualActions().stream().anyMatch(a -> a.contains("writable master again")),
        report.manualActions().toString());
    assertTrue(
        report.manualActions().stream().noneMatch(a -> a.contains("stays fenced")),
        report.manualActions().toString());
  }

  static Stream<Arguments> failuresBeforeTheSwitch() {
    List<String> back = BACK_TO_SOURCE;
    List<String> backAndEndForward = concat(back, List.of("terminateInstance:FORWARD"));
    return Stream.of(
        Arguments.of("quiesceApplication", List.of("pointApplication:SOURCE", "resumeApplication")),
        Arguments.of("fenceWrites:SOURCE", back),
        Arguments.of("checkSessions:SOURCE", back),
        Arguments.of("awaitDrained:FORWARD", back),
        Arguments.of("pauseInstance:FORWARD", backAndEndForward),
        Arguments.of("syncSequences:FORWARD", backAndEndForward),
        Arguments.of(
            "startReverseIncremental",
            concat(List.of("terminateInstance:REVERSE"), backAndEndForward)));
  }

  @ParameterizedTest(name = "failure in {0}")
  @MethodSource("failuresBeforeTheSwitch")
  void failureBeforeTheSwitchLiftsTheFenceBeforeResumingOnTheSource(
      String failing, List<String> compensations) {
    fake.failOnce.add(failing);
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    List<String> expected = concat(FORWARD.subList(0, FORWARD.indexOf(failing) + 1), compensations);
    assertEquals(expected, fake.mutations());
    assertEquals(Side.SOURCE, report.applicationTarget());
    assertTrue(report.reason().contains("injected failure in " + failing), report.reason());
    assertEquals("switchback", report.requestedBy());
  }

  @ParameterizedTest(name = "failure in {0}")
  @MethodSource("failuresAfterTheSwitch")
  void failureAfterTheSwitchRunsTheCutoverTheOtherWay(String failing) {
    fake.failOnce.add(failing);
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.toString());
    List<String> expected =
        concat(FORWARD.subList(0, FORWARD.indexOf(failing) + 1), ROLLBACK_AFTER_SWITCH);
    assertEquals(expected, fake.mutations());
    assertEquals(Side.SOURCE, report.applicationTarget());
  }

  static Stream<String> failuresAfterTheSwitch() {
    return Stream.of(
        "pointApplication:DESTINATION", "resumeApplication", "runTests", "validateData");
  }

  @Test
  void rollbackAfterFailedSmokeTestReturnsWritesToSource() {
    fake.smokeTestFails = true;
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    assertEquals(
        concat(FORWARD.subList(0, FORWARD.indexOf("runTests") + 1), ROLLBACK_AFTER_SWITCH),
        fake.mutations());
    assertTrue(report.reason().startsWith("smoke test failed: orders readable"), report.reason());
    assertFalse(report.tests().passed());
    // The outage is both switches: writes stopped (quiesce begins) until resumed, each way.
    List<dev.switchback.messages.values.TimelineEntry> quiesce =
        report.timeline().stream().filter(e -> e.step().equals("quiesceApplication")).toList();
    List<dev.switchback.messages.values.TimelineEntry> resume =
        report.timeline().stream().filter(e -> e.step().equals("resumeApplication")).toList();
    assertEquals(
        (resume.get(0).endedAtMillis() - quiesce.get(0).startedAtMillis())
            + (resume.get(1).endedAtMillis() - quiesce.get(1).startedAtMillis()),
        report.writeOutageMs());
  }

  @Test
  void dataDifferenceRollsBack() {
    fake.dataDiffers = true;
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    assertTrue(report.reason().contains("orders: 1 missing"), report.reason());
    assertFalse(report.validation().passed());
  }

  @Test
  void failedPreflightAbortsWithoutTouchingAnything() {
    fake.preflightFails = true;
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals(List.of(), fake.mutations());
    assertTrue(report.reason().contains("forward instance running"), report.reason());
  }

  @Test
  void aPreflightWarningIsNamedInTheTimelineAndTheCutoverGoesOn() {
    fake.preflightExtra =
        PreflightCheck.warning("forward link: transport", "no sslmode: set replicationSslMode");
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.COMPLETED, report.outcome());
    String preflight =
        report.timeline().stream()
            .filter(e -> e.step().equals("preflight"))
            .findFirst()
            .orElseThrow()
            .detail();
    assertEquals(
        "3 check(s), all hold; 1 warning(s): forward link: transport", preflight, preflight);
  }

  @Test
  void catchUpFailureAbortsBeforeAnyWriteStops() {
    fake.failOnce.add("checkLatency");
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals(List.of("checkLatency"), fake.mutations());
    assertEquals(0, report.writeOutageMs());
  }

  @Test
  void rollbackSignalDuringCatchUpInterruptsTheWaitAndAborts() throws Exception {
    fake.blockCatchUp = true;
    CutoverPlan plan = TestPlans.auto();
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    assertTrue(fake.catchUpStarted.await(10, TimeUnit.SECONDS));
    wf.rollback(new RollbackRequest("alice", "change window closed"));
    CutoverReport report = WorkflowStub.fromTyped(wf).getResult(CutoverReport.class);
    fake.blockCatchUp = false;
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals("alice", report.requestedBy());
    assertEquals("change window closed", report.reason());
    assertEquals(
        List.of("checkLatency"),
        fake.mutations().stream().filter(c -> !c.endsWith("cancelled")).toList());
  }

  @Test
  void quiesceGateWaitsForAnAllowedApproverAndRecordsWho() {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, "1h"), "0s");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    assertEquals(List.of("checkLatency"), fake.mutations());

    WorkflowUpdateException wrongPerson =
        assertThrows(
            WorkflowUpdateException.class,
            () -> wf.approveGate(new ApproveRequest(GatesSpec.QUIESCE, "mallory", null)));
    assertTrue(rootMessage(wrongPerson).contains("may not approve"), rootMessage(wrongPerson));
    WorkflowUpdateException wrongGate =
        assertThrows(
            WorkflowUpdateException.class,
            () -> wf.approveGate(new ApproveRequest(GatesSpec.SWITCH, "alice", null)));
    assertTrue(rootMessage(wrongGate).contains("not pending"), rootMessage(wrongGate));

    wf.approveGate(new ApproveRequest(GatesSpec.QUIESCE, "alice", "change 4711"));
    CutoverReport report = WorkflowStub.fromTyped(wf).getResult(CutoverReport.class);
    assertEquals(Outcome.COMPLETED, report.outcome());
    assertTrue(
        report.approvals().stream()
            .anyMatch(
                a ->
                    a.gate().equals("quiesce")
                        && a.by().equals("alice")
                        && a.decision().equals("APPROVED")
                        && "change 4711".equals(a.comment())));
  }

  @Test
  void approvalSignalFromSomeoneNotAllowedIsRecordedAndIgnored() {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, "1h"), "0s");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    wf.approve(new ApproveRequest(GatesSpec.QUIESCE, "mallory", null));
    CutoverStatus status = wf.status();
    assertEquals("quiesce", status.pendingGate());
    assertTrue(
        status.timeline().stream()
            .anyMatch(e -> e.step().equals("approvalRejected") && e.detail().contains("mallory")));
    wf.approve(new ApproveRequest(GatesSpec.QUIESCE, "bob", null));
    assertEquals(
        Outcome.COMPLETED, WorkflowStub.fromTyped(wf).getResult(CutoverReport.class).outcome());
  }

  @Test
  void quiesceGateTimeoutAbortsSafely() {
    CutoverReport report = run(TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, "30m"), "0s"));
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals(List.of("checkLatency"), fake.mutations());
    assertTrue(report.approvals().stream().anyMatch(a -> a.decision().equals("TIMED_OUT")));
  }

  @Test
  void switchGateTimeoutRollsBackToTheSource() {
    CutoverReport report = run(TestPlans.plan(TestPlans.approval(GatesSpec.SWITCH, "15m"), "0s"));
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    List<String> expected =
        concat(
            FORWARD.subList(0, FORWARD.indexOf("startReverseIncremental") + 1),
            concat(
                List.of("terminateInstance:REVERSE"),
                concat(BACK_TO_SOURCE, List.of("terminateInstance:FORWARD"))));
    assertEquals(expected, fake.mutations());
  }

  @Test
  void rollbackDuringSoakRunsTheCutoverTheOtherWay() {
    CutoverPlan plan = TestPlans.plan(TestPlans.allAuto(), "1h");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.SOAKING);
    String ack = wf.requestRollback(new RollbackRequest("bob", "latency alarms"));
    assertTrue(ack.contains("bob"));
    CutoverReport report = WorkflowStub.fromTyped(wf).getResult(CutoverReport.class);
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    assertEquals("bob", report.requestedBy());
    assertEquals(
        concat(FORWARD.subList(0, FORWARD.indexOf("validateData") + 1), ROLLBACK_AFTER_SWITCH),
        fake.mutations());
  }

  @Test
  void rollbackAtTheFinalizeGateStillPossible() {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.FINALIZE, null), "0s");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.AWAITING_FINALIZE_APPROVAL);
    wf.rollback(new RollbackRequest("alice", "customer complaints"));
    CutoverReport report = WorkflowStub.fromTyped(wf).getResult(CutoverReport.class);
    assertEquals(Outcome.ROLLED_BACK, report.outcome());
    assertTrue(fake.mutations().containsAll(ROLLBACK_AFTER_SWITCH));
  }

  @Test
  void cancellingTheWorkflowDuringSoakStillRollsBack() {
    CutoverPlan plan = TestPlans.plan(TestPlans.allAuto(), "1h");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.SOAKING);
    WorkflowStub.fromTyped(wf).cancel();
    // Temporal closes a cancelled workflow as CANCELED, but only after the detached rollback ran.
    assertThrows(
        WorkflowFailedException.class,
        () -> WorkflowStub.fromTyped(wf).getResult(CutoverReport.class));
    CutoverStatus status = wf.status();
    assertEquals(Outcome.ROLLED_BACK, status.outcome());
    assertEquals(Side.SOURCE, status.applicationTarget());
    assertEquals(
        concat(FORWARD.subList(0, FORWARD.indexOf("validateData") + 1), ROLLBACK_AFTER_SWITCH),
        fake.mutations());
  }

  @Test
  void reverseNotDrainedMeansTheApplicationIsNeverPointedBackAndTheReportSaysWhatToDo() {
    fake.smokeTestFails = true;
    fake.failAlways.add("awaitDrained:REVERSE");
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.FAILED, report.outcome());
    assertFalse(
        fake.mutations().contains("pointApplication:SOURCE"),
        "never point back before the reverse drained");
    assertTrue(
        report.manualActions().stream().anyMatch(a -> a.startsWith("awaitReverseDrained failed")));
    assertTrue(report.manualActions().stream().anyMatch(a -> a.contains("writes HELD")));
    assertTrue(report.manualActions().stream().anyMatch(a -> a.startsWith("destination: FENCED")));
  }

  @Test
  void unfenceFailureNeverResumesOnAFencedSource() {
    fake.failOnce.add("checkSessions:SOURCE");
    fake.failAlways.add("unfenceWrites:SOURCE");
    CutoverReport report = run(TestPlans.auto());
    assertEquals(Outcome.FAILED, report.outcome());
    assertFalse(fake.mutations().contains("resumeApplication"));
    assertTrue(report.manualActions().stream().anyMatch(a -> a.startsWith("source: FENCED")));
  }

  @Test
  void abortAfterWritesStoppedIsRejectedAsAnUpdate() {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.SWITCH, "1h"), "0s");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.AWAITING_SWITCH_APPROVAL);
    WorkflowUpdateException e =
        assertThrows(
            WorkflowUpdateException.class, () -> wf.requestAbort(new AbortRequest("alice", "no")));
    assertTrue(rootMessage(e).contains("use rollback"), rootMessage(e));
    wf.approveGate(new ApproveRequest(GatesSpec.SWITCH, "alice", null));
    assertEquals(
        Outcome.COMPLETED, WorkflowStub.fromTyped(wf).getResult(CutoverReport.class).outcome());
  }

  @Test
  void abortAtTheQuiesceGateEndsAbortedWithWho() {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, "1h"), "0s");
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    wf.requestAbort(new AbortRequest("carol", "not today"));
    CutoverReport report = WorkflowStub.fromTyped(wf).getResult(CutoverReport.class);
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals("carol", report.requestedBy());
    assertEquals(List.of("checkLatency"), fake.mutations());
  }

  @Test
  void rollbackAfterCompletionIsRejected() {
    CutoverPlan plan = TestPlans.plan(TestPlans.allAuto(), "0s");
    CutoverWorkflow wf = stub(plan);
    wf.run(plan);
    CutoverStatus status = wf.status();
    assertEquals(Outcome.COMPLETED, status.outcome());
    assertEquals(Phase.DONE, status.phase());
    assertEquals(
        0, fake.mutations().stream().filter(c -> c.equals("pointApplication:SOURCE")).count());
  }

  @Test
  void invalidPlanFailsBeforeAnySideEffectNamingTheField() {
    CutoverPlan plan = TestPlans.auto();
    CutoverPlan bad =
        new CutoverPlan(
            plan.name(),
            plan.migration(),
            plan.source(),
            new dev.switchback.plan.EndpointSpec(
                "postgres", plan.destination().url(), "postgres", "hunter2", null, null),
            plan.migrationAccount(),
            plan.router(),
            plan.thresholds(),
            plan.gates(),
            plan.approvers(),
            plan.approvals(),
            plan.tests(),
            plan.validation(),
            plan.soak());
    WorkflowFailedException e =
        assertThrows(WorkflowFailedException.class, () -> stub(bad).run(bad));
    ApplicationFailure cause = (ApplicationFailure) e.getCause();
    assertEquals("InvalidPlan", cause.getType());
    assertTrue(
        cause.getOriginalMessage().contains("destination.password"), cause.getOriginalMessage());
    assertEquals(List.of(), fake.calls);
  }

  @Test
  void workflowIdMustBeThePlansSoOnlyOneCutoverRunsPerPlan() {
    CutoverPlan plan = TestPlans.auto();
    CutoverWorkflow wf =
        client.newWorkflowStub(
            CutoverWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("something-else")
                .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                .build());
    WorkflowFailedException e = assertThrows(WorkflowFailedException.class, () -> wf.run(plan));
    assertTrue(((ApplicationFailure) e.getCause()).getOriginalMessage().contains("cutover-orders"));
    assertEquals(List.of(), fake.calls);
  }
}
