package dev.switchback.messages.commands;

/** Stop the cutover before any write stopped. */
public record AbortRequest(String by, String reason) {}
