package dev.switchback.messages.values;

import java.util.List;

/** All smoke tests' results; passed when every test passed. */
public record TestReport(boolean passed, List<TestResult> results) {}
