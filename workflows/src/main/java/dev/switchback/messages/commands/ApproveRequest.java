package dev.switchback.messages.commands;

/** Approve gate {@code gate} ({@code quiesce}, {@code switch}, {@code finalize}). */
public record ApproveRequest(String gate, String by, String comment) {}
