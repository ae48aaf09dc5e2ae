package dev.switchback.activities.support;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * Finalize's revoke of the migration account on one endpoint, as every engine reports it: what was
 * revoked, how many of the account's sessions were ended, what the check after the revoke looked
 * at, and each write path it found left. The revoke holds only when nothing is left; otherwise
 * {@link #result()} fails, naming each path with its fix, and the workflow records that as a manual
 * action ("finalize incomplete"). A revoke that cannot prove its effect must not pass.
 */
public final class RevokeReport {
  /** Items named in a result or failure; the rest are counted (both land in workflow history). */
  static final int MAX_LISTED = 20;

  private final String side;
  private final String account;
  private final List<String> done = new ArrayList<>();
  private final List<String> left = new ArrayList<>();
  private int sessionsEnded;
  private String checked = "";

  /**
   * @param side the endpoint's field, {@code source} or {@code destination}
   * @param account the migration account as the engine names it
   */
  public RevokeReport(String side, String account) {
    this.side = side;
    this.account = account;
  }

  /** One change made (a REVOKE, a role taken away). */
  public RevokeReport revoked(String what) {
    done.add(what);
    return this;
  }

  /** Sessions of the account that were ended. */
  public RevokeReport sessionsEnded(int n) {
    sessionsEnded += n;
    return this;
  }

  /** What the check after the revoke looked at, for the step's result. */
  public RevokeReport checked(String what) {
    checked = what;
    return this;
  }

  /** A way to write the check found left, with its fix. */
  public RevokeReport left(String path) {
    left.add(path);
    return this;
  }

  public List<String> leftPaths() {
    return List.copyOf(left);
  }

  /**
   * The step's result when no write path is left.
   *
   * @throws ApplicationFailure non-retryable {@link FailureTypes#WRITE_PATHS_LEFT} naming what is
   *     left and what was done
   */
  public String result() {
    String did =
        (done.isEmpty() ? "no write privilege to revoke" : "revoked " + listed(done))
            + "; ended "
            + sessionsEnded
            + " session(s) of '"
            + account
            + "' opened before the revoke";
    if (!left.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          side
              + ": the migration account '"
              + account
              + "' can still write after the revoke: "
              + listed(left)
              + " (done: "
              + did
              + ")",
          FailureTypes.WRITE_PATHS_LEFT);
    }
    return did + "; checked after the revoke: " + checked + ": no write path left";
  }

  /** The first {@link #MAX_LISTED} items, then how many more. */
  static String listed(List<String> items) {
    if (items.size() <= MAX_LISTED) {
      return String.join("; ", items);
    }
    return String.join("; ", items.subList(0, MAX_LISTED))
        + "; and "
        + (items.size() - MAX_LISTED)
        + " more";
  }

  /**
   * The migration account is not on this endpoint: a misspelt name must not read as "nothing to
   * revoke", it would leave the real account writing.
   *
   * @param where what was looked up, e.g. {@code role 'x' in pg_roles}
   */
  public static ApplicationFailure unknownAccount(String side, String account, String where) {
    return ApplicationFailure.newNonRetryableFailure(
        "migrationAccount.user: '"
            + account
            + "' does not exist on the "
            + side
            + " (no "
            + where
            + "): check migrationAccount.user; finalize revokes the migration account on both"
            + " servers, so name the account the migration instance writes with (or set"
            + " migrationAccount.revokeAtFinalize: false and revoke it by hand); nothing was"
            + " revoked",
        FailureTypes.INVALID_PLAN);
  }

  /**
   * The account's writes cannot be taken away by revoking privileges (a superuser): fails before
   * any change, saying what to do instead.
   */
  public static ApplicationFailure cannotRevoke(
      String side, String account, String why, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        side
            + ": the migration account '"
            + account
            + "' "
            + why
            + ", so revoking privileges cannot stop its writes; "
            + fix
            + "; nothing was revoked",
        FailureTypes.WRITE_PATHS_LEFT);
  }
}
