package dev.switchback.workflow;

import static dev.switchback.workflow.CutoverTestEnv.awaitPhase;
import static dev.switchback.workflow.CutoverTestEnv.entry;
import static dev.switchback.workflow.CutoverTestEnv.result;
import static dev.switchback.workflow.CutoverTestEnv.rootMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.approval.Ed25519;
import dev.switchback.approval.SignedText;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 11 item 2: an approver listed with a public key approves only with a request signed by the
 * matching private key, for this run and gate, recently. The validated Update refuses anything else
 * with the reason; the signal, which cannot be refused, records it as rejected and ignores it.
 */
class SignedApprovalTest {
  private static final KeyPair ALICE = Ed25519.generate();
  private static final KeyPair MALLORY = Ed25519.generate();

  private CutoverTestEnv t;

  @BeforeEach
  void setUp() {
    t = new CutoverTestEnv();
  }

  @AfterEach
  void tearDown(TestInfo info) throws Exception {
    t.recordHistory("cutover-orders", "signed-" + info.getDisplayName());
    t.close();
  }

  /** alice signs with her key, bob approves by name only if the plan allows it. */
  private static CutoverPlan signedPlan() {
    return TestPlans.signed(
        TestPlans.approval(GatesSpec.QUIESCE, null),
        "0s",
        List.of(new ApproverSpec("alice", Ed25519.encode(ALICE.getPublic()))));
  }

  private CutoverWorkflow atQuiesceGate(CutoverPlan plan) {
    CutoverWorkflow wf = t.start(plan);
    awaitPhase(wf, Phase.AWAITING_QUIESCE_APPROVAL);
    return wf;
  }

  private static String runId(CutoverWorkflow wf) {
    return WorkflowStub.fromTyped(wf).getExecution().getRunId();
  }

  private long now() {
    return t.env.currentTimeMillis();
  }

  private static RequestSignature sign(
      KeyPair key, String runId, String gate, String by, String comment, long at) {
    String text = SignedText.of(SignedText.APPROVE, "cutover-orders", runId, gate, by, at, comment);
    return new RequestSignature(runId, at, Ed25519.sign(key.getPrivate(), text));
  }

  /** The update refuses {@code request} with a reason containing {@code why}; nothing changes. */
  private static void refused(CutoverWorkflow wf, ApproveRequest request, String why) {
    WorkflowUpdateException e =
        assertThrows(WorkflowUpdateException.class, () -> wf.approveGate(request));
    assertTrue(rootMessage(e).contains(why), "refused with: " + rootMessage(e));
    assertEquals("quiesce", wf.status().pendingGate());
    assertTrue(wf.status().approvals().isEmpty(), "a refused approval changes nothing");
  }

  /** The signal with {@code request} is recorded as rejected with {@code why} and ignored. */
  private static void rejectedSignal(CutoverWorkflow wf, ApproveRequest request, String why) {
    int before = wf.status().timeline().size();
    wf.approve(request);
    CutoverTestEnv.await(
        "the signal is recorded", () -> wf.status().timeline().size() > before || approved(wf));
    TimelineEntry last = wf.status().timeline().get(wf.status().timeline().size() - 1);
    assertEquals("approvalRejected", last.step(), "the signal was not rejected: " + last);
    assertEquals("REJECTED", last.outcome());
    assertTrue(last.detail().contains(why), last.detail());
    assertEquals("quiesce", wf.status().pendingGate());
  }

  private static boolean approved(CutoverWorkflow wf) {
    return !wf.status().approvals().isEmpty();
  }

  @Test
  void approvalWithoutSignatureIsRefusedByTheUpdateAndRecordedAsRejectedByTheSignal() {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    ApproveRequest unsigned = new ApproveRequest("quiesce", "alice", "looks fine");
    refused(wf, unsigned, "is not signed");
    rejectedSignal(wf, unsigned, "is not signed");
  }

  @Test
  void approvalSignedWithAnotherKeyIsRefused() {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    String run = runId(wf);
    ApproveRequest forged =
        new ApproveRequest(
            "quiesce", "alice", null, sign(MALLORY, run, "quiesce", "alice", null, now()));
    refused(wf, forged, "does not verify with alice's public key");
    rejectedSignal(wf, forged, "does not verify with alice's public key");
  }

  @Test
  void signatureForAnotherRunGateOrCommentIsRefused() {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    String run = runId(wf);
    String otherRun = "5e7b1bb4-0000-4000-8000-000000000000";
    refused(
        wf,
        new ApproveRequest(
            "quiesce", "alice", null, sign(ALICE, otherRun, "quiesce", "alice", null, now())),
        "signed for run " + otherRun);
    // The request names this run, but the signature is over another gate's text.
    refused(
        wf,
        new ApproveRequest(
            "quiesce", "alice", null, sign(ALICE, run, "switch", "alice", null, now())),
        "does not verify");
    // Signed without a comment; a comment added afterwards breaks the signature.
    refused(
        wf,
        new ApproveRequest(
            "quiesce", "alice", "added later", sign(ALICE, run, "quiesce", "alice", null, now())),
        "does not verify");
  }

  @Test
  void staleOrFutureSignatureIsRefused() {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    String run = runId(wf);
    long stale = now() - Duration.ofMinutes(11).toMillis();
    refused(
        wf,
        new ApproveRequest(
            "quiesce", "alice", null, sign(ALICE, run, "quiesce", "alice", null, stale)),
        "a signature is good for 10m");
    long ahead = now() + Duration.ofMinutes(3).toMillis();
    refused(
        wf,
        new ApproveRequest(
            "quiesce", "alice", null, sign(ALICE, run, "quiesce", "alice", null, ahead)),
        "ahead of the cutover's clock");
    rejectedSignal(
        wf,
        new ApproveRequest(
            "quiesce", "alice", null, sign(ALICE, run, "quiesce", "alice", null, stale)),
        "a signature is good for 10m");
  }

  @Test
  void correctlySignedApprovalIsAcceptedVerifiedAndKeptInHistory() throws Exception {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    RequestSignature signature = sign(ALICE, runId(wf), "quiesce", "alice", "change 4711", now());
    GateDecision decision =
        wf.approveGate(new ApproveRequest("quiesce", "alice", "change 4711", signature));
    assertEquals("APPROVED", decision.decision());
    assertEquals("alice", decision.by());
    assertEquals(Boolean.TRUE, decision.verified());

    CutoverReport report = result(wf);
    assertEquals(Outcome.COMPLETED, report.outcome());
    GateDecision quiesce =
        report.approvals().stream().filter(a -> a.gate().equals("quiesce")).findFirst().get();
    assertEquals(Boolean.TRUE, quiesce.verified());
    assertTrue(
        report.timeline().stream()
            .anyMatch(
                e ->
                    e.step().equals("gate:quiesce")
                        && e.detail().contains("approved by alice (signature verified)")),
        report.timeline().toString());
    String history = t.client.fetchHistory("cutover-orders").toJson(false);
    assertTrue(
        decodedPayloads(history).contains(signature.value()), "the history holds the signature");
  }

  @Test
  void rollbackIsOpenToAnyoneAndRecordsWhetherTheClaimedIdentityWasVerified() throws Exception {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    String run = runId(wf);
    long at = now();
    String text =
        SignedText.of(SignedText.ROLLBACK, "cutover-orders", run, null, "alice", at, "p99");
    // Signed with the wrong key: still a rollback (the safe direction), recorded as unverified.
    RollbackRequest claimed =
        new RollbackRequest(
            "alice",
            "p99",
            new RequestSignature(run, at, Ed25519.sign(MALLORY.getPrivate(), text)));
    wf.requestRollback(claimed);
    CutoverReport report = result(wf);
    assertEquals(Outcome.ABORTED, report.outcome());
    assertEquals("alice", report.requestedBy());
    TimelineEntry requested = entry(report.timeline(), "rollbackRequested");
    assertTrue(
        requested.detail().contains("by alice (unverified: the signature does not verify"),
        requested.detail());
  }

  @Test
  void signedRollbackIsRecordedAsVerified() throws Exception {
    CutoverWorkflow wf = atQuiesceGate(signedPlan());
    String run = runId(wf);
    long at = now();
    String text =
        SignedText.of(SignedText.ROLLBACK, "cutover-orders", run, null, "alice", at, "p99");
    wf.rollback(
        new RollbackRequest(
            "alice", "p99", new RequestSignature(run, at, Ed25519.sign(ALICE.getPrivate(), text))));
    CutoverReport report = result(wf);
    assertTrue(
        report.timeline().stream()
            .anyMatch(
                e ->
                    e.step().equals("rollbackRequested")
                        && e.detail().startsWith("by alice (signature verified)")),
        report.timeline().toString());
  }

  @Test
  void unsignedLabPlanAcceptsNamesAndRecordsThemAsUnverified() throws Exception {
    CutoverPlan lab =
        TestPlans.plan(
            TestPlans.approval(GatesSpec.QUIESCE, null),
            "0s",
            ApproverSpec.names("bob"),
            CutoverPlan.UNSIGNED);
    CutoverWorkflow wf = atQuiesceGate(lab);
    GateDecision decision = wf.approveGate(new ApproveRequest("quiesce", "bob", null));
    assertEquals(Boolean.FALSE, decision.verified());
    CutoverReport report = result(wf);
    assertTrue(
        report.timeline().stream()
            .anyMatch(
                e ->
                    e.step().equals("gate:quiesce")
                        && e.detail().contains("approved by bob (unsigned)")),
        report.timeline().toString());
    assertNull(
        report.approvals().stream()
            .filter(a -> a.decision().equals("AUTO"))
            .findFirst()
            .orElseThrow()
            .verified());
    assertFalse(report.approvals().isEmpty());
  }

  /** Every payload's data in an exported history, decoded (payloads are base64 in the JSON). */
  private static String decodedPayloads(String historyJson) throws Exception {
    StringBuilder out = new StringBuilder();
    Matcher matcher = Pattern.compile("\"data\":\\s*\"([A-Za-z0-9+/=]+)\"").matcher(historyJson);
    while (matcher.find()) {
      out.append(new String(Base64.getDecoder().decode(matcher.group(1)), StandardCharsets.UTF_8))
          .append('\n');
    }
    return out.toString();
  }
}
