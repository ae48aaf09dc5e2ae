package dev.switchback.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The demo application's side of the webhook router's signed requests, exactly the check
 * docs/webhook-router.md asks of an application: the signature over timestamp, nonce, method, path
 * and body must match, the timestamp must be within {@link #SKEW} of the application's clock, and a
 * nonce is accepted once. The key is generated per run and handed to the plan as a {@code file:}
 * reference, as an operator would hand a key to both sides.
 */
final class SignedRequests implements AutoCloseable {
  static final Duration SKEW = Duration.ofMinutes(5);

  private final String key;
  private final Path keyFile;
  private final Clock clock;

  /** Nonces accepted within the window, with their timestamps, oldest first. */
  private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

  private SignedRequests(String key, Path keyFile, Clock clock) {
    this.key = key;
    this.keyFile = keyFile;
    this.clock = clock;
  }

  /** A fresh random key, written to a file only this user can read. */
  static SignedRequests generate() throws IOException {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    String key = HexFormat.of().formatHex(raw);
    Path file =
        Files.createTempFile(
            "switchback-demo-router-",
            ".key",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, key);
    return new SignedRequests(key, file, Clock.systemUTC());
  }

  /** The plan's {@code router.signingKey}. */
  String reference() {
    return "file:" + keyFile;
  }

  /**
   * Why the request must be refused, or null when it may be acted on. Call it before reading
   * anything from the request but its body.
   */
  String refusal(
      String method,
      String rawPath,
      String timestamp,
      String nonce,
      String signature,
      byte[] body) {
    if (timestamp == null || nonce == null || signature == null) {
      return "unsigned request: Switchback-Timestamp, Switchback-Nonce and Switchback-Signature"
          + " are required";
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return "Switchback-Timestamp is not a number of seconds";
    }
    long now = clock.instant().getEpochSecond();
    if (Math.abs(now - ts) > SKEW.toSeconds()) {
      return "timestamp "
          + ts
          + " is more than "
          + SKEW.toSeconds()
          + " s from this server's clock ("
          + now
          + "): a stale or replayed request, or clocks out of sync";
    }
    byte[] expected =
        ("v1=" + hmac(ts + "\n" + nonce + "\n" + method + "\n" + rawPath + "\n", body))
            .getBytes(StandardCharsets.UTF_8);
    // Constant time: a byte-by-byte early exit would tell an attacker how much of a guess is right.
    if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8))) {
      return "bad signature for " + method + " " + rawPath;
    }
    synchronized (seen) {
      // A nonce older than the window can no longer pass the timestamp check: forget it.
      for (var it = seen.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Long> e = it.next();
        if (e.getValue() >= now - SKEW.toSeconds()) {
          break;
        }
        it.remove();
      }
      if (seen.putIfAbsent(nonce, Math.max(ts, now)) != null) {
        return "replayed request: nonce " + nonce + " was already used";
      }
    }
    return null;
  }

  private String hmac(String head, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update(head.getBytes(StandardCharsets.UTF_8));
      mac.update(body);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public void close() {
    try {
      Files.deleteIfExists(keyFile);
    } catch (IOException e) {
      // A temporary file of a demo run: the OS cleans its temp directory.
    }
  }
}
