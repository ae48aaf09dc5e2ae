package dev.switchback.workflow;

import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.plan.CutoverPlan;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The external contract (DESIGN.md section 5). Task queue {@value #TASK_QUEUE}, workflow type
 * {@value #TYPE}, workflow id {@code cutover-<plan name>}. Keep these names stable: the {@code
 * temporal} CLI, the UI and other SDKs use them.
 */
@WorkflowInterface
public interface CutoverWorkflow {
  String TASK_QUEUE = "switchback";
  String TYPE = "Cutover";
  String SIGNAL_APPROVE = "approve";
  String SIGNAL_ROLLBACK = "rollback";
  String SIGNAL_ABORT = "abort";
  String QUERY_STATUS = "status";

  @WorkflowMethod(name = TYPE)
  CutoverReport run(CutoverPlan plan);

  @SignalMethod(name = SIGNAL_APPROVE)
  void approve(ApproveRequest request);

  @SignalMethod(name = SIGNAL_ROLLBACK)
  void rollback(RollbackRequest request);

  @SignalMethod(name = SIGNAL_ABORT)
  void abort(AbortRequest request);

  /**
   * Validated form of {@code approve}: rejects unknown gates, gates not pending, approvers not
   * allowed.
   */
  @UpdateMethod(name = SIGNAL_APPROVE)
  GateDecision approveGate(ApproveRequest request);

  @UpdateValidatorMethod(updateName = SIGNAL_APPROVE)
  void validateApprove(ApproveRequest request);

  /** Validated form of {@code rollback}: rejects once finalized or already ended. */
  @UpdateMethod(name = SIGNAL_ROLLBACK)
  String requestRollback(RollbackRequest request);

  @UpdateValidatorMethod(updateName = SIGNAL_ROLLBACK)
  void validateRollback(RollbackRequest request);

  /** Validated form of {@code abort}: rejects once writes have stopped (use rollback then). */
  @UpdateMethod(name = SIGNAL_ABORT)
  String requestAbort(AbortRequest request);

  @UpdateValidatorMethod(updateName = SIGNAL_ABORT)
  void validateAbort(AbortRequest request);

  @QueryMethod(name = QUERY_STATUS)
  CutoverStatus status();
}
