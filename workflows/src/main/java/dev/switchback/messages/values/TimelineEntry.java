package dev.switchback.messages.values;

/**
 * One step of the procedure as it ran.
 *
 * @param step the step's name (the seed's vocabulary: catchUp, stopWrites, ...)
 * @param startedAtMillis workflow time at the start
 * @param endedAtMillis workflow time at the end, 0 while running
 * @param outcome {@code RUNNING}, {@code OK}, {@code FAILED}, {@code SKIPPED}
 * @param detail a line for humans
 */
public record TimelineEntry(
    String step, long startedAtMillis, long endedAtMillis, String outcome, String detail) {}
