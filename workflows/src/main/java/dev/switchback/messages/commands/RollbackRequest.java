package dev.switchback.messages.commands;

/** Roll the cutover back (until finalize). */
public record RollbackRequest(String by, String reason) {}
