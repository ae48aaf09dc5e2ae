package dev.switchback.activities.impl;

import dev.switchback.messages.values.InstanceState;

/**
 * Heartbeat details of a wait: what the operator sees in the Temporal UI while an activity waits,
 * and what a retried attempt resumes from (the overall deadline, the stability window's start, the
 * drain target), so a retry neither extends the deadline nor forgets a window already half passed.
 *
 * @param waitKey which wait (the activity and direction), so a retry only resumes its own progress
 * @param startedAtMillis when the first attempt started waiting; the deadline counts from here
 * @param atMillis when this heartbeat was taken
 * @param polls how many times the condition was checked in this attempt
 * @param last the instance as last seen, when the wait is about an instance
 * @param windowStartedAtMillis when the current stability window started, null while latency has
 *     not reached 0
 * @param windowRestarts how often a latency spike restarted the window
 * @param target the exact drain target taken after the fence
 * @param detail a line for humans
 */
public record WaitProgress(
    String waitKey,
    long startedAtMillis,
    long atMillis,
    int polls,
    InstanceState last,
    Long windowStartedAtMillis,
    int windowRestarts,
    String target,
    String detail) {}
