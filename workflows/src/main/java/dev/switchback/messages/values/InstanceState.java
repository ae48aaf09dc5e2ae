package dev.switchback.messages.values;

/**
 * What a migration instance looks like now.
 *
 * @param instance its name (subscription, channel, DTS job id)
 * @param status {@code RUNNING}, {@code PAUSED}, {@code COMPLETED}, {@code NOT_FOUND}, {@code
 *     FAILED}, {@code STARTING}, {@code PAUSING}, or a provider word
 * @param incremental whether the instance is in (or has) an incremental stage
 * @param latencyMs time behind its source, null when unknown
 * @param lagBytes bytes behind its source, null when the provider has no such measure
 * @param position the exact position reached when the provider has one (LSN, GTID set, offset)
 * @param detail a line for humans
 */
public record InstanceState(
    String instance,
    String status,
    boolean incremental,
    Long latencyMs,
    Long lagBytes,
    String position,
    String detail) {

  public boolean running() {
    return "RUNNING".equals(status);
  }

  public boolean paused() {
    return "PAUSED".equals(status);
  }
}
