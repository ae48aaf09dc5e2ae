package dev.switchback.messages.values;

/**
 * An Ed25519 signature over a request's canonical text ({@link
 * dev.switchback.approval.SignedText}): proof that the holder of an approver's private key made
 * this request, for this run, at this time.
 *
 * @param runId the run the request was signed for: the cutover's run id when it started (its
 *     original run id, which a reset keeps); the text covers it, and it is here so that a mismatch
 *     can be named
 * @param signedAtMillis when it was signed, epoch milliseconds of the signer's clock
 * @param value the signature, base64
 */
public record RequestSignature(String runId, Long signedAtMillis, String value) {}
