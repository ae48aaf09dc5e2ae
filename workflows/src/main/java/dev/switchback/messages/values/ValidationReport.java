package dev.switchback.messages.values;

import java.util.List;

/** Data validation's result; passed when every table is the same on both sides. */
public record ValidationReport(
    boolean passed, List<TableComparison> tables, long durationMs, String detail) {}
