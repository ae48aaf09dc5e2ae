package dev.switchback.workflow;

import static dev.switchback.workflow.CutoverTestEnv.awaitPhase;
import static dev.switchback.workflow.CutoverTestEnv.entry;
import static dev.switchback.workflow.CutoverTestEnv.result;
import static dev.switchback.workflow.CutoverTestEnv.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import io.temporal.client.BatchRequest;
import io.temporal.client.WorkflowUpdateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 7: anyone who can signal can send thousands of rejected signals with long texts.
 * Each rejected signal used to add a timeline entry quoting its text, so the status and the report
 * grew without a bound toward Temporal's 2 MB payload limit (a report over it fails the cutover's
 * completion). Texts are bounded and the rejected entries capped: the status stays small.
 */
class SignalFloodTest {
  /** What the status and the report may weigh as JSON, however many signals were rejected. */
  static final int BOUND_BYTES = 32 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private CutoverTestEnv t;

  @BeforeEach
  void setUp() {
    t = new CutoverTestEnv();
  }

  @AfterEach
  void tearDown() {
    t.close();
  }

  private CutoverWorkflow atQuiesceGate() {
    CutoverWorkflow wf = t.start(TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, null), "0s"));
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    return wf;
  }

  private static int jsonBytes(Object value) throws Exception {
    return JSON.writeValueAsBytes(value).length;
  }

  @Test
  void thousandsOfRejectedSignalsKeepTheStatusAndTheReportUnderTheBound() throws Exception {
    CutoverWorkflow wf = atQuiesceGate();
    String longName = "mallory-" + "x".repeat(300);
    String longText = "y".repeat(3_000);
    int signals = 2_000;
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < signals; i++) {
        int n = i;
        sent.add(
            pool.submit(
                () -> {
                  switch (n % 3) {
                    case 0 -> wf.approve(new ApproveRequest("quiesce", longName + n, longText));
                    case 1 -> wf.approve(new ApproveRequest("gate-" + longName + n, "bob", null));
                    default -> wf.rollback(new RollbackRequest(" ", longText));
                  }
                }));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    CutoverTestEnv.await("every signal is handled", () -> rejected(wf.status()) == signals);

    CutoverStatus status = wf.status();
    int statusBytes = jsonBytes(status);
    System.out.printf(
        "status after %d rejected signals: %d bytes, %d timeline entries%n",
        signals, statusBytes, status.timeline().size());
    assertTrue(
        statusBytes < BOUND_BYTES,
        "status is " + statusBytes + " bytes after " + signals + " rejected signals");
    assertEquals("quiesce", status.pendingGate(), "no rejected signal approved anything");

    // The cutover goes on as before.
    wf.approve(new ApproveRequest("quiesce", "bob", "after the flood"));
    CutoverReport report = result(wf);
    assertEquals(Outcome.COMPLETED, report.outcome());
    int reportBytes = jsonBytes(report);
    System.out.printf("report: %d bytes%n", reportBytes);
    assertTrue(reportBytes < BOUND_BYTES, "report is " + reportBytes + " bytes");
  }

  @Test
  void rejectedSignalsPastTheCapAreCountedAndTheCutoverGoesOn() throws Exception {
    CutoverWorkflow wf = atQuiesceGate();
    for (int i = 0; i < RejectedSignals.LISTED + 10; i++) {
      wf.approve(new ApproveRequest("quiesce", "mallory" + i, null));
    }
    CutoverTestEnv.await(
        "every signal is handled", () -> rejected(wf.status()) == RejectedSignals.LISTED + 10);
    CutoverStatus status = wf.status();
    assertEquals(
        RejectedSignals.LISTED,
        status.timeline().stream().filter(e -> "REJECTED".equals(e.outcome())).count());
    TimelineEntry counted = entry(status.timeline(), "rejectedSignals");
    assertTrue(
        counted.detail().startsWith("10 more rejected signals not listed"), counted.detail());
    assertTrue(counted.detail().contains("'mallory" + (RejectedSignals.LISTED + 9) + "' may not"));
    wf.approve(new ApproveRequest("quiesce", "bob", null));
    assertEquals(Outcome.COMPLETED, result(wf).outcome());
    t.recordHistory("cutover-orders", "bounded-signals-v1");
  }

  @Test
  void aSignalSentWithTheStartIsJudgedLikeAnyOther() throws Exception {
    CutoverPlan plan = TestPlans.plan(TestPlans.approval(GatesSpec.QUIESCE, null), "0s");
    CutoverWorkflow wf = t.stub(plan);
    BatchRequest start = t.client.newSignalWithStartRequest();
    start.add(wf::run, plan);
    start.add(wf::approve, new ApproveRequest("quiesce", "m".repeat(5_000), null));
    t.client.signalWithStart(start);
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    TimelineEntry first =
        wf.status().timeline().stream()
            .filter(e -> "REJECTED".equals(e.outcome()))
            .findFirst()
            .orElseThrow();
    assertTrue(first.detail().length() < 500, first.detail());
    wf.approve(new ApproveRequest("quiesce", "bob", null));
    assertEquals(Outcome.COMPLETED, result(wf).outcome());
    t.recordHistory("cutover-orders", "signal-with-start-v1");
  }

  /** Rejected signals the timeline accounts for: entries listed plus those only counted. */
  private static int rejected(CutoverStatus status) {
    int listed = 0;
    int counted = 0;
    for (TimelineEntry e : status.timeline()) {
      if ("REJECTED".equals(e.outcome())) {
        listed++;
      }
      if ("rejectedSignals".equals(e.step())) {
        Matcher m = Pattern.compile("(\\d+) more rejected signals").matcher(e.detail());
        if (m.find()) {
          counted = Integer.parseInt(m.group(1));
        }
      }
    }
    return listed + counted;
  }

  @Test
  void overlongTextsAreRefusedByTheUpdateWithTheField() {
    CutoverWorkflow wf = atQuiesceGate();
    WorkflowUpdateException comment =
        assertThrows(
            WorkflowUpdateException.class,
            () -> wf.approveGate(new ApproveRequest("quiesce", "bob", "c".repeat(5_000))));
    assertTrue(
        rootMessage(comment).contains("comment is 5000 characters long; at most 1000"),
        rootMessage(comment));
    WorkflowUpdateException by =
        assertThrows(
            WorkflowUpdateException.class,
            () -> wf.requestRollback(new RollbackRequest("b".repeat(500), "why")));
    assertTrue(rootMessage(by).contains("by is 500 characters long; at most 100"), rootMessage(by));
    WorkflowUpdateException reason =
        assertThrows(
            WorkflowUpdateException.class,
            () -> wf.requestAbort(new AbortRequest("bob", "r".repeat(1_001))));
    assertTrue(
        rootMessage(reason).contains("reason is 1001 characters long; at most 1000"),
        rootMessage(reason));
    assertEquals("quiesce", wf.status().pendingGate());
  }

  @Test
  void overlongRollbackSignalStillRollsBackWithItsTextCut() throws Exception {
    CutoverWorkflow wf = atQuiesceGate();
    wf.rollback(new RollbackRequest("bob", "r".repeat(100_000)));
    CutoverReport report = result(wf);
    assertEquals(Outcome.ABORTED, report.outcome(), "a rollback is never refused for its length");
    TimelineEntry requested = entry(report.timeline(), "rollbackRequested");
    assertTrue(
        requested.detail().contains("(reason cut from 100000 characters to 1000)"),
        "detail of "
            + requested.detail().length()
            + " characters: "
            + requested.detail().substring(0, Math.min(200, requested.detail().length())));
    assertTrue(jsonBytes(report) < BOUND_BYTES, "report is " + jsonBytes(report) + " bytes");
  }
}
