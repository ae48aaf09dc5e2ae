package dev.switchback.workflow;

import dev.switchback.approval.SignatureCheck;
import dev.switchback.approval.SignedText;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;

/**
 * Who made a request, as far as the workflow can tell (docs/security.md, Approvals). An approver
 * the plan lists with a public key approves only with a signature that verifies; one listed by name
 * alone ({@code approvals: unsigned}) approves by name. A rollback or abort is open to anyone (the
 * safe direction): its claimed name is recorded with whether a signature proved it.
 */
final class Identities {
  private final CutoverPlan plan;
  private final String workflowId;
  private final String runId;
  private final long nowMillis;

  Identities(CutoverPlan plan, String workflowId, String runId, long nowMillis) {
    this.plan = plan;
    this.workflowId = workflowId;
    this.runId = runId;
    this.nowMillis = nowMillis;
  }

  /**
   * Why {@code request} does not prove it comes from its approver, or null when it does (or when
   * the approver is listed without a key, in a plan that allows that).
   */
  String approvalProblem(ApproveRequest request) {
    ApproverSpec approver = plan.approver(request.by());
    if (!approver.signs()) {
      return CutoverPlan.UNSIGNED.equals(plan.approvals())
          ? null
          : "the plan requires signed approvals and lists '"
              + approver.name()
              + "' without a public key (fix: add the approver's publicKey to the plan)";
    }
    RequestSignature signature = request.signature();
    if (signature == null || signature.value() == null || signature.value().isBlank()) {
      return "approval by '"
          + approver.name()
          + "' is not signed: the plan lists "
          + approver.name()
          + " with a public key, so only an approval signed with the matching private key counts"
          + " (fix: switchback approve "
          + request.gate()
          + " --by "
          + approver.name()
          + " --key <the private key file>)";
    }
    String problem =
        SignatureCheck.problem(
            approver.publicKey(),
            SignedText.APPROVE,
            workflowId,
            runId,
            request.gate(),
            request.by(),
            request.comment(),
            signature,
            nowMillis);
    return problem == null ? null : "approval by '" + approver.name() + "' refused: " + problem;
  }

  /** Whether an accepted approval by {@code by} was proved by a signature. */
  boolean verified(String by) {
    ApproverSpec approver = plan.approver(by);
    return approver != null && approver.signs();
  }

  /**
   * {@code by} as the timeline records a rollback or abort request: the claimed name and whether a
   * signature proved it, e.g. {@code alice (signature verified)} or {@code mallory (unverified: no
   * signature)}.
   */
  String claimed(String action, String by, String text, RequestSignature signature) {
    ApproverSpec approver = plan == null ? null : plan.approver(by);
    if (signature == null) {
      return by + " (unverified: no signature)";
    }
    if (approver == null || !approver.signs()) {
      return by + " (unverified: the plan has no public key for " + by + ")";
    }
    String problem =
        SignatureCheck.problem(
            approver.publicKey(), action, workflowId, runId, null, by, text, signature, nowMillis);
    return problem == null
        ? by + " (signature verified)"
        : by + " (unverified: " + problem.replaceFirst("^it ", "") + ")";
  }
}
