package dev.switchback.messages.values;

/**
 * A gate's decision, kept in the report.
 *
 * @param gate {@code quiesce}, {@code switch} or {@code finalize}
 * @param decision {@code APPROVED}, {@code AUTO}, {@code TIMED_OUT}
 * @param by who approved ({@code switchback} for automatic gates)
 * @param comment the approver's words
 * @param atMillis when, in workflow time
 */
public record GateDecision(
    String gate, String decision, String by, String comment, long atMillis) {}
