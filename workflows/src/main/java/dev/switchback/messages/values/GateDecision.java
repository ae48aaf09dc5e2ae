package dev.switchback.messages.values;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * A gate's decision, kept in the report.
 *
 * @param gate {@code quiesce}, {@code switch} or {@code finalize}
 * @param decision {@code APPROVED}, {@code AUTO}, {@code TIMED_OUT}
 * @param by who approved ({@code switchback} for automatic gates)
 * @param comment the approver's words
 * @param atMillis when, in workflow time
 * @param verified for an approval: true when {@code by}'s signature was verified with the plan's
 *     public key, false when {@code by} is only a name someone typed ({@code approvals: unsigned});
 *     null for automatic decisions
 */
public record GateDecision(
    String gate, String decision, String by, String comment, long atMillis, Boolean verified) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public GateDecision {}

  /** A decision the workflow made itself (auto, timed out). */
  public GateDecision(String gate, String decision, String by, String comment, long atMillis) {
    this(gate, decision, by, comment, atMillis, null);
  }
}
