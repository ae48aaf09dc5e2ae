package dev.switchback.workflow;

import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.RequestLimits;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.messages.values.TimelineEntry;
import io.temporal.workflow.Workflow;
import java.util.List;

/**
 * The rules one run applies to approve, rollback and abort requests, by the workflow versions it
 * started with: a run started before signed approvals or bounded signals keeps the rules of its
 * day, so its history replays. Each version is read (and its marker recorded) first thing in the
 * workflow method, or by a signal handled before that; an Update validator may record nothing, so
 * until a version is known a validator judges by today's rules (validators are not replayed).
 */
final class RequestRules {
  private Integer signedApprovals;
  private Integer boundedSignals;
  private final RejectedSignals rejected = new RejectedSignals();

  /** Whether approvers listed with a public key must sign. Never records from a validator. */
  boolean signedApprovals(boolean validating) {
    if (signedApprovals == null) {
      if (validating) {
        return true;
      }
      signedApprovals =
          Workflow.getVersion(CutoverWorkflowImpl.SIGNED_APPROVALS, Workflow.DEFAULT_VERSION, 1);
    }
    return signedApprovals >= 1;
  }

  /** Whether request texts are bounded and rejected signals capped. Never call from a validator. */
  boolean boundedSignals() {
    if (boundedSignals == null) {
      boundedSignals =
          Workflow.getVersion(CutoverWorkflowImpl.BOUNDED_SIGNALS, Workflow.DEFAULT_VERSION, 1);
    }
    return boundedSignals >= 1;
  }

  /** Reads both versions: the workflow method calls this before anything else. */
  void readVersions() {
    signedApprovals(false);
    boundedSignals();
  }

  /** Why a rollback's or abort's texts are too long for an Update, or null. */
  static String tooLong(String by, String reason, RequestSignature signature) {
    return RequestLimits.problem(null, by, "reason", reason, signature);
  }

  /** The request as the run keeps it: texts cut to their bounds (never refused: a way out). */
  RollbackRequest cut(RollbackRequest r) {
    return boundedSignals()
        ? new RollbackRequest(cutBy(r.by()), cutReason(r.reason()), r.signature())
        : r;
  }

  AbortRequest cut(AbortRequest r) {
    return boundedSignals()
        ? new AbortRequest(cutBy(r.by()), cutReason(r.reason()), r.signature())
        : r;
  }

  private static String cutBy(String by) {
    return RequestLimits.cut("by", by, RequestLimits.BY);
  }

  private static String cutReason(String reason) {
    return RequestLimits.cut("reason", reason, RequestLimits.TEXT);
  }

  /** Records a rejected signal (invariant 5); in runs that bound them, capped. */
  void reject(List<TimelineEntry> timeline, String step, String problem, long now) {
    if (boundedSignals()) {
      rejected.record(timeline, step, problem, now);
    } else {
      timeline.add(new TimelineEntry(step, now, now, "REJECTED", problem));
    }
  }
}
