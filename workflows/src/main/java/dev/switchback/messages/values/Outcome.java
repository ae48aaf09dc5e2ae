package dev.switchback.messages.values;

/** How a cutover ended; also the {@code SwitchbackOutcome} search attribute. */
public enum Outcome {
  /** The application runs on the destination; the reverse instance is gone. */
  COMPLETED,
  /** The application runs on the source again, with every destination write carried back. */
  ROLLED_BACK,
  /** Stopped before any write stopped; nothing changed. */
  ABORTED,
  /** A compensation could not finish: the report says what state each system is in. */
  FAILED
}
