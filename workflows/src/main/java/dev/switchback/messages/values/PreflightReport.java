package dev.switchback.messages.values;

import java.util.List;

/** The read-only preflight: every check, ok when all hold. */
public record PreflightReport(boolean ok, List<PreflightCheck> checks) {}
