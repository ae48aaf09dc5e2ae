package dev.switchback.activities;

/**
 * The {@code ApplicationFailure} types activities raise as non-retryable, so the workflow can tell
 * them apart. Anything else is retried by Temporal.
 */
public final class FailureTypes {
  /** The plan names something that does not exist or is not allowed. */
  public static final String INVALID_PLAN = "InvalidPlan";

  /** The forward instance did not reach the latency threshold in time. */
  public static final String CATCH_UP_TIMEOUT = "CatchUpTimeout";

  /** The drain could not be proved in time. */
  public static final String DRAIN_TIMEOUT = "DrainTimeout";

  /** Application write sessions remain after the fence. */
  public static final String WRITERS_REMAIN = "WritersRemain";

  /** The instance is in a state the procedure cannot continue from (failed, missing). */
  public static final String INSTANCE_STATE = "InstanceState";

  /** Credentials or privileges are missing. */
  public static final String PERMISSION = "PermissionDenied";

  /** An instance did not reach the awaited status in time. */
  public static final String INSTANCE_TIMEOUT = "InstanceTimeout";

  /** A write fence that must be renewed (Redis CLIENT PAUSE) lapsed while it had to hold. */
  public static final String FENCE_LAPSED = "FenceLapsed";

  /**
   * Finalize's revoke left the migration account a way to write (a privilege, a role, ownership, a
   * session opened before the revoke), or the account's writes cannot be revoked at all (a
   * superuser).
   */
  public static final String WRITE_PATHS_LEFT = "WritePathsLeft";

  /** The router refused or does not implement the contract. */
  public static final String ROUTER = "RouterError";

  private FailureTypes() {}
}
