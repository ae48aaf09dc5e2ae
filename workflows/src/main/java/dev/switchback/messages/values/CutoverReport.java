package dev.switchback.messages.values;

import java.util.List;

/**
 * The cutover's result.
 *
 * @param plan the plan name
 * @param outcome how it ended
 * @param reason why it rolled back, aborted or failed
 * @param requestedBy who asked for the rollback or abort ({@code switchback} when automatic)
 * @param applicationTarget where the application points at the end
 * @param writeOutageMs from the moment writes stopped until they resumed (both directions summed)
 * @param timeline every step
 * @param approvals every gate decision
 * @param tests the smoke tests, when they ran
 * @param validation data validation, when it ran
 * @param manualActions for FAILED: what each system's state is and what to do by hand
 */
public record CutoverReport(
    String plan,
    Outcome outcome,
    String reason,
    String requestedBy,
    Side applicationTarget,
    long writeOutageMs,
    List<TimelineEntry> timeline,
    List<GateDecision> approvals,
    TestReport tests,
    ValidationReport validation,
    List<String> manualActions) {}
