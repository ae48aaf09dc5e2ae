package dev.switchback.activities.router;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a webhook router request as docs/webhook-router.md says the application checks it:
 * HMAC-SHA256 with the plan's {@code router.signingKey} over
 *
 * <pre>
 * timestamp "\n" nonce "\n" METHOD "\n" path "\n" body
 * </pre>
 *
 * The timestamp bounds how long a captured request stays usable, the nonce lets the application
 * refuse the same request twice within that window, and method, path and body tie the signature to
 * what the request asks for, so a signed {@code resume} cannot be replayed as a {@code point}.
 */
final class RequestSigner {
  static final String TIMESTAMP = "Switchback-Timestamp";
  static final String NONCE = "Switchback-Nonce";
  static final String SIGNATURE = "Switchback-Signature";

  /** Shorter keys are refused: HMAC-SHA256 wants at least 256 bits of key to be worth it. */
  static final int MIN_KEY_CHARS = 32;

  private RequestSigner() {}

  /** The three headers, name then value, for one request. */
  static String[] headers(String key, Instant now, String method, String rawPath, byte[] body) {
    String timestamp = Long.toString(now.getEpochSecond());
    String nonce = UUID.randomUUID().toString();
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      // Every Java 17 runtime has HmacSHA256; a key of any length is valid for it.
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
    mac.update(
        (timestamp + "\n" + nonce + "\n" + method + "\n" + rawPath + "\n")
            .getBytes(StandardCharsets.UTF_8));
    mac.update(body);
    return new String[] {
      TIMESTAMP, timestamp, NONCE, nonce, SIGNATURE, "v1=" + HexFormat.of().formatHex(mac.doFinal())
    };
  }
}
