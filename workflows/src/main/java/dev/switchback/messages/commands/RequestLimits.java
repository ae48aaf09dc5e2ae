package dev.switchback.messages.commands;

import dev.switchback.messages.values.RequestSignature;

/**
 * How long the texts of a request may be. Signals are open to anyone with namespace access and
 * their texts go into the status and the report, which must stay well under Temporal's 2 MB payload
 * limit however many requests arrive. The validated Updates refuse a longer text; a signal, which
 * cannot be refused, has an approval rejected and a rollback or abort text cut (a rollback is never
 * refused for its wording).
 */
public final class RequestLimits {
  /** {@code by}: a name, as the plan lists approvers. */
  public static final int BY = 100;

  /** {@code comment} and {@code reason}: a sentence or a change ticket, not a document. */
  public static final int TEXT = 1_000;

  /** {@code gate}: one of quiesce, switch, finalize. */
  public static final int GATE = 20;

  /** A signature's run id and value (an Ed25519 signature is 88 base64 characters). */
  public static final int SIGNATURE_FIELD = 200;

  private RequestLimits() {}

  /** Why {@code value} of {@code field} is too long, or null when it is not. */
  public static String problem(String field, String value, int max) {
    if (value == null || value.length() <= max) {
      return null;
    }
    return field
        + " is "
        + value.length()
        + " characters long; at most "
        + max
        + " are kept in the history and the report (fix: shorten it)";
  }

  /** {@code value} cut to {@code max} characters, saying so, or as it is when short enough. */
  public static String cut(String field, String value, int max) {
    if (value == null || value.length() <= max) {
      return value;
    }
    return value.substring(0, max)
        + "... ("
        + field
        + " cut from "
        + value.length()
        + " characters to "
        + max
        + ")";
  }

  /** The first problem of a request's texts, or null. */
  public static String problem(
      String gate, String by, String textField, String text, RequestSignature signature) {
    String p = problem("gate", gate, GATE);
    if (p == null) {
      p = problem("by", by, BY);
    }
    if (p == null) {
      p = problem(textField, text, TEXT);
    }
    if (p == null && signature != null) {
      p = problem("signature.runId", signature.runId(), SIGNATURE_FIELD);
      if (p == null) {
        p = problem("signature.value", signature.value(), SIGNATURE_FIELD);
      }
    }
    return p;
  }
}
