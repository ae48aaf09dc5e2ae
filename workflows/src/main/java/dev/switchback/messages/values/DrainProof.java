package dev.switchback.messages.values;

/**
 * Proof that an instance has carried every write made before the fence.
 *
 * @param instance the instance
 * @param method {@code exact} (a position equality such as LSN or GTID) or {@code stability-window}
 *     (the seed's rule for providers without a position: latency 0, then stable)
 * @param target the position the fence left on the writer side (exact only)
 * @param reached the position the instance confirmed
 * @param waitedMs how long the proof took
 * @param detail a line for humans
 */
public record DrainProof(
    String instance, String method, String target, String reached, long waitedMs, String detail) {}
