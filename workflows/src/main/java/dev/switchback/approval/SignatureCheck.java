package dev.switchback.approval;

import dev.switchback.messages.values.RequestSignature;
import java.security.PublicKey;
import java.time.Duration;

/**
 * Whether a request's signature proves who made it. Deterministic: it reads only the request, the
 * plan's public key and the workflow's own clock, so a workflow may run it in an Update validator
 * and a signal handler, and its replay decides the same.
 *
 * <p>A signature is good for {@link #MAX_AGE} after it was made, so one seen in history cannot be
 * sent again later; the signer's clock may be ahead of the workflow's by {@link #MAX_AHEAD}.
 */
public final class SignatureCheck {
  public static final Duration MAX_AGE = Duration.ofMinutes(10);
  public static final Duration MAX_AHEAD = Duration.ofMinutes(1);

  private SignatureCheck() {}

  /**
   * Null when {@code signature} is {@code by}'s signature, made with the private key of {@code
   * publicKey}, of exactly this request for this run, recently; else why not.
   */
  public static String problem(
      String publicKey,
      String action,
      String workflowId,
      String runId,
      String gate,
      String by,
      String text,
      RequestSignature signature,
      long nowMillis) {
    if (signature == null || signature.value() == null || signature.value().isBlank()) {
      return "it is not signed";
    }
    if (signature.runId() != null && !signature.runId().equals(runId)) {
      return "it was signed for run "
          + signature.runId()
          + ", not for this run "
          + runId
          + " of "
          + workflowId
          + " (fix: sign again for this run)";
    }
    if (signature.signedAtMillis() == null) {
      return "the signature has no time (signedAtMillis)";
    }
    long age = nowMillis - signature.signedAtMillis();
    if (age > MAX_AGE.toMillis()) {
      return "it was signed "
          + minutes(age)
          + " ago; a signature is good for "
          + minutes(MAX_AGE.toMillis())
          + " (fix: sign again)";
    }
    if (-age > MAX_AHEAD.toMillis()) {
      return "it was signed "
          + minutes(-age)
          + " ahead of the cutover's clock; at most "
          + minutes(MAX_AHEAD.toMillis())
          + " is allowed (fix: check the signer's clock)";
    }
    PublicKey key;
    try {
      key = Ed25519.publicKey(publicKey);
    } catch (IllegalArgumentException e) {
      return by + "'s public key in the plan is unusable: " + e.getMessage();
    }
    String signed =
        SignedText.of(action, workflowId, runId, gate, by, signature.signedAtMillis(), text);
    if (!Ed25519.verifies(key, signed, signature.value())) {
      return "the signature does not verify with "
          + by
          + "'s public key in the plan: it was made with another key, or the request (gate,"
          + " comment or reason, time) was changed after signing";
    }
    return null;
  }

  /** A duration for people: whole minutes from one minute on, else seconds. */
  private static String minutes(long millis) {
    long seconds = millis / 1000;
    return seconds >= 60 ? seconds / 60 + "m" : seconds + "s";
  }
}
