package dev.switchback.messages.queries;

import dev.switchback.messages.values.GateDecision;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import java.util.List;

/**
 * The answer to the {@code status} query.
 *
 * @param plan the plan name
 * @param phase where the cutover is
 * @param pendingGate the gate waiting for approval, null when none
 * @param timeline every step so far
 * @param forwardLatencyMs the forward instance's last known latency
 * @param reverseLatencyMs the reverse instance's last known latency
 * @param applicationTarget where the application points
 * @param writesStopped whether application writes are stopped now
 * @param writeOutageMs write outage so far
 * @param approvals gate decisions so far
 * @param outcome set once the cutover ended
 * @param reason why it is rolling back or ended so
 */
public record CutoverStatus(
    String plan,
    Phase phase,
    String pendingGate,
    List<TimelineEntry> timeline,
    Long forwardLatencyMs,
    Long reverseLatencyMs,
    Side applicationTarget,
    boolean writesStopped,
    long writeOutageMs,
    List<GateDecision> approvals,
    Outcome outcome,
    String reason) {}
