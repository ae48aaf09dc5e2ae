package dev.switchback.activities.support;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Sessions a server was told to end (KILL, KILL SESSION) leave its session list only once they have
 * rolled back: the revoke waits for that before it says none is left.
 */
public final class EndedSessions {
  /** How long ended sessions may take to leave the list. */
  public static final long GONE_WITHIN_MS = 5_000;

  private static final long POLL_MS = 50;

  /** The server's current session list, as the ids the kill used. */
  @FunctionalInterface
  public interface Listing<T> {
    Collection<T> list() throws SQLException;
  }

  private EndedSessions() {}

  /**
   * Waits up to {@link #GONE_WITHIN_MS} until none of {@code ended} is listed, and returns those
   * still listed then (empty when all are gone).
   */
  public static <T> List<T> stillListed(Collection<T> ended, Listing<T> listing)
      throws SQLException {
    long deadline = System.nanoTime() + GONE_WITHIN_MS * 1_000_000;
    while (true) {
      List<T> left = new ArrayList<>(listing.list());
      left.retainAll(ended);
      if (left.isEmpty() || System.nanoTime() > deadline) {
        return left;
      }
      pause(POLL_MS);
    }
  }

  /**
   * Ends {@code ended} sessions' story in {@code report}: how many went, and those still listed
   * after {@link #stillListed} as a write path left, with how to end them.
   */
  public static <T> void report(
      RevokeReport report, Collection<T> ended, List<T> stillListed, String howToEnd) {
    report.sessionsEnded(ended.size() - stillListed.size());
    if (!stillListed.isEmpty()) {
      report.left(
          "sessions "
              + stillListed
              + " opened before the revoke were still there "
              + GONE_WITHIN_MS
              + " ms after they were ended (a connected session may keep what it was granted and"
              + " commit what it wrote): "
              + howToEnd);
    }
  }

  /** Sleeps, as an SQLException when interrupted (the engines' calls all throw that). */
  public static void pause(long ms) throws SQLException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while ending sessions", e);
    }
  }
}
