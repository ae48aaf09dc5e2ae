package dev.switchback.approval;

import java.util.Objects;

/**
 * The canonical text a request's signature covers, versioned by its first line. One field a line,
 * in a fixed order, each value escaped so that no value can end its line early: two different
 * requests never have the same text.
 *
 * <pre>
 * switchback-signed-request-v1
 * action:approve
 * workflow:cutover-orders
 * run:5f0c...
 * gate:switch
 * by:alice
 * at:1764770000000
 * text:change 4711
 * </pre>
 *
 * {@code gate} is empty for rollback and abort; {@code text} is the comment or the reason (empty
 * when there is none); {@code at} is when it was signed, epoch milliseconds.
 */
public final class SignedText {
  public static final String VERSION = "switchback-signed-request-v1";

  public static final String APPROVE = "approve";
  public static final String ROLLBACK = "rollback";
  public static final String ABORT = "abort";

  private SignedText() {}

  public static String of(
      String action,
      String workflowId,
      String runId,
      String gate,
      String by,
      long signedAtMillis,
      String text) {
    Objects.requireNonNull(action, "action");
    return VERSION
        + "\naction:"
        + escape(action)
        + "\nworkflow:"
        + escape(workflowId)
        + "\nrun:"
        + escape(runId)
        + "\ngate:"
        + escape(gate)
        + "\nby:"
        + escape(by)
        + "\nat:"
        + signedAtMillis
        + "\ntext:"
        + escape(text)
        + "\n";
  }

  private static String escape(String value) {
    if (value == null) {
      return "";
    }
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r");
  }
}
