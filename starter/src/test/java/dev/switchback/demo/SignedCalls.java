package dev.switchback.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Requests to a demo application's router endpoint signed as docs/webhook-router.md says, written
 * from the document and not from the router's code, so the tests check the protocol itself.
 */
final class SignedCalls {
  private SignedCalls() {}

  /** The key behind the application's {@code file:} reference. */
  static String key(DemoApp app) throws IOException {
    String ref = app.routerSigningKey();
    if (!ref.startsWith("file:")) {
      throw new IllegalStateException("not a file reference: " + ref);
    }
    return Files.readString(Path.of(ref.substring("file:".length()))).strip();
  }

  /**
   * A request for {@code action}, signed at {@code timestamp} (epoch seconds) over {@code body}.
   */
  static HttpRequest.Builder request(
      DemoApp app, String method, String action, String body, long timestamp) throws IOException {
    URI uri = URI.create(app.routerUrl() + "/" + action);
    String nonce = UUID.randomUUID().toString();
    String text = body == null ? "" : body;
    Mac mac;
    try {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key(app).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    mac.update(
        (timestamp + "\n" + nonce + "\n" + method + "\n" + uri.getRawPath() + "\n")
            .getBytes(StandardCharsets.UTF_8));
    mac.update(text.getBytes(StandardCharsets.UTF_8));
    return HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(30))
        .header("Switchback-Timestamp", Long.toString(timestamp))
        .header("Switchback-Nonce", nonce)
        .header("Switchback-Signature", "v1=" + HexFormat.of().formatHex(mac.doFinal()))
        .method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
  }

  static long now() {
    return System.currentTimeMillis() / 1000;
  }
}
