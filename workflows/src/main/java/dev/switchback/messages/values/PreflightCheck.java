package dev.switchback.messages.values;

/** One preflight check: what was checked, whether it holds, and what to do if not. */
public record PreflightCheck(String check, boolean ok, String detail) {}
