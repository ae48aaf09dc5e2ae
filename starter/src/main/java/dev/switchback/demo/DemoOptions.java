package dev.switchback.demo;

import dev.switchback.worker.codec.PayloadKeys;

/**
 * What a demo run does.
 *
 * @param engine the lab engine
 * @param rollback plant a failing smoke test, so the cutover rolls back by itself
 * @param interactive gates wait for an operator's approval instead of being automatic
 * @param approver who may approve in interactive mode
 * @param ratePerSecond the demo application's total write rate
 * @param writers the demo application's writer threads
 * @param soak how long to soak after the switch
 * @param temporalPort the embedded Temporal server's port (0: any free port)
 * @param payloadKeys the keys the demo's worker encrypts payloads with (none: off)
 */
public record DemoOptions(
    String engine,
    boolean rollback,
    boolean interactive,
    String approver,
    double ratePerSecond,
    int writers,
    String soak,
    int temporalPort,
    PayloadKeys payloadKeys) {

  /** A demo without payload encryption. */
  public DemoOptions(
      String engine,
      boolean rollback,
      boolean interactive,
      String approver,
      double ratePerSecond,
      int writers,
      String soak,
      int temporalPort) {
    this(
        engine,
        rollback,
        interactive,
        approver,
        ratePerSecond,
        writers,
        soak,
        temporalPort,
        PayloadKeys.none());
  }
}
