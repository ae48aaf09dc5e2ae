package dev.switchback.cli;

import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.common.SearchAttributeKey;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in for the real Cutover workflow that speaks the same contract (type, signals, updates
 * with validators, query, search attributes) and walks the gates without touching any database: it
 * lets the CLI be tested against a real server. Its validators refuse what the contract says the
 * real one refuses: a gate that is not pending, an approver not in the plan, an abort after writes
 * stopped, a rollback after the end.
 */
public class FakeCutoverWorkflow implements CutoverWorkflow {
  static final SearchAttributeKey<String> PHASE = SearchAttributeKey.forKeyword("SwitchbackPhase");
  static final SearchAttributeKey<String> OUTCOME =
      SearchAttributeKey.forKeyword("SwitchbackOutcome");

  private CutoverPlan plan;
  private Phase phase = Phase.PREFLIGHT;
  private String pendingGate;
  private String approvedGate;
  private final List<TimelineEntry> timeline = new ArrayList<>();
  private final List<GateDecision> approvals = new ArrayList<>();
  private RollbackRequest rollback;
  private AbortRequest abort;
  private boolean writesStopped;
  private Side target = Side.SOURCE;
  private Outcome outcome;
  private String reason;

  @Override
  public CutoverReport run(CutoverPlan input) {
    plan = PlanValidator.validate(input);
    step("preflight", "all checks hold");
    if (!gate("quiesce", Phase.AWAITING_QUIESCE_APPROVAL)) {
      return end();
    }
    phase(Phase.STOPPING_WRITES);
    writesStopped = true;
    step("stopWrites", "application quiesced, source fenced");
    if (!gate("switch", Phase.AWAITING_SWITCH_APPROVAL)) {
      return end();
    }
    phase(Phase.SWITCHING);
    target = Side.DESTINATION;
    writesStopped = false;
    step("switchTraffic", "application on destination");
    if (!gate("finalize", Phase.AWAITING_FINALIZE_APPROVAL)) {
      return end();
    }
    step("finalizeCutover", "reverse instance terminated");
    outcome = Outcome.COMPLETED;
    return end();
  }

  /** False when the cutover must stop (rollback or abort asked). */
  private boolean gate(String name, Phase waiting) {
    if (plan.gates().gate(name).auto()) {
      approvals.add(
          new GateDecision(name, "AUTO", "switchback", null, Workflow.currentTimeMillis()));
      return true;
    }
    phase(waiting);
    pendingGate = name;
    Workflow.await(() -> name.equals(approvedGate) || rollback != null || abort != null);
    pendingGate = null;
    if (abort != null) {
      outcome = Outcome.ABORTED;
      reason = abort.reason();
      return false;
    }
    if (rollback != null) {
      phase(Phase.ROLLING_BACK);
      step("rollback", "application back on source");
      target = Side.SOURCE;
      writesStopped = false;
      outcome = Outcome.ROLLED_BACK;
      reason = rollback.reason();
      return false;
    }
    return true;
  }

  private CutoverReport end() {
    phase(Phase.DONE);
    Workflow.upsertTypedSearchAttributes(OUTCOME.valueSet(outcome.name()));
    return new CutoverReport(
        plan.name(),
        outcome,
        reason,
        rollback != null ? rollback.by() : abort != null ? abort.by() : null,
        target,
        0,
        List.copyOf(timeline),
        List.copyOf(approvals),
        null,
        null,
        List.of());
  }

  private void phase(Phase p) {
    phase = p;
    Workflow.upsertTypedSearchAttributes(PHASE.valueSet(p.name()));
  }

  private void step(String name, String detail) {
    long now = Workflow.currentTimeMillis();
    timeline.add(new TimelineEntry(name, now, now, "OK", detail));
  }

  @Override
  public void approve(ApproveRequest request) {
    if (request.gate().equals(pendingGate) && plan.approvers().contains(request.by())) {
      approveGate(request);
    }
  }

  @Override
  public void rollback(RollbackRequest request) {
    rollback = request;
  }

  @Override
  public void abort(AbortRequest request) {
    abort = request;
  }

  @Override
  public GateDecision approveGate(ApproveRequest request) {
    GateDecision d =
        new GateDecision(
            request.gate(),
            "APPROVED",
            request.by(),
            request.comment(),
            Workflow.currentTimeMillis());
    approvals.add(d);
    approvedGate = request.gate();
    return d;
  }

  @Override
  public void validateApprove(ApproveRequest request) {
    if (!request.gate().equals(pendingGate)) {
      throw new IllegalArgumentException(
          "gate "
              + request.gate()
              + " is not pending"
              + (pendingGate == null ? "" : " (pending: " + pendingGate + ")"));
    }
    if (!plan.approvers().contains(request.by())) {
      throw new IllegalArgumentException(
          request.by() + " may not approve; the plan's approvers are " + plan.approvers());
    }
  }

  @Override
  public String requestRollback(RollbackRequest request) {
    rollback = request;
    return "rollback of " + plan.name() + " requested by " + request.by() + ": " + request.reason();
  }

  @Override
  public void validateRollback(RollbackRequest request) {
    if (outcome != null) {
      throw new IllegalArgumentException("the cutover already ended " + outcome);
    }
  }

  @Override
  public String requestAbort(AbortRequest request) {
    abort = request;
    return "abort of " + plan.name() + " requested by " + request.by() + ": " + request.reason();
  }

  @Override
  public void validateAbort(AbortRequest request) {
    if (writesStopped || target == Side.DESTINATION) {
      throw new IllegalArgumentException("writes have stopped: abort is over, use rollback");
    }
  }

  @Override
  public CutoverStatus status() {
    return new CutoverStatus(
        plan == null ? null : plan.name(),
        phase,
        pendingGate,
        List.copyOf(timeline),
        120L,
        null,
        target,
        writesStopped,
        0,
        List.copyOf(approvals),
        outcome,
        reason);
  }
}
