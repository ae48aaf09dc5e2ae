package dev.switchback.messages.values;

/** Where a cutover is; also the {@code SwitchbackPhase} search attribute. */
public enum Phase {
  PREFLIGHT,
  CATCH_UP,
  AWAITING_QUIESCE_APPROVAL,
  STOPPING_WRITES,
  VERIFYING_QUIESCE,
  DRAINING,
  SYNCING_SEQUENCES,
  STARTING_REVERSE,
  AWAITING_SWITCH_APPROVAL,
  SWITCHING,
  TESTING,
  SOAKING,
  AWAITING_FINALIZE_APPROVAL,
  FINALIZING,
  ROLLING_BACK,
  ABORTING,
  DONE
}
