package dev.switchback.messages.values;

/** One smoke test's result. */
public record TestResult(String name, boolean passed, String detail, long durationMs) {}
