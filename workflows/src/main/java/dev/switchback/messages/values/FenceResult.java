package dev.switchback.messages.values;

/**
 * What a fence or unfence did.
 *
 * @param side the endpoint
 * @param method how (for example {@code default_transaction_read_only on app + terminate})
 * @param terminatedSessions sessions ended so the fence applies to them
 * @param detail a line for humans
 */
public record FenceResult(Side side, String method, int terminatedSessions, String detail) {}
