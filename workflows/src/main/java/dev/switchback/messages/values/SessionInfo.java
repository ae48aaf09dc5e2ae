package dev.switchback.messages.values;

/** One session on an endpoint, as the engine reports it. */
public record SessionInfo(
    String id,
    String user,
    String client,
    String application,
    String state,
    boolean writer,
    String detail) {}
