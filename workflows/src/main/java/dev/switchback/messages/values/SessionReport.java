package dev.switchback.messages.values;

import java.util.List;

/**
 * The session check's result.
 *
 * @param side the endpoint checked
 * @param writers application sessions that hold or may hold writes
 * @param others other application sessions (readers, idle)
 * @param excluded sessions left out: the migration account, replication, Switchback's own
 * @param waitedMs how long writers took to go away
 */
public record SessionReport(
    Side side, List<SessionInfo> writers, int others, int excluded, long waitedMs) {}
