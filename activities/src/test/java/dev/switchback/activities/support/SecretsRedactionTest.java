package dev.switchback.activities.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A failure that quotes a resolved secret leaves the activity with the secret redacted. */
class SecretsRedactionTest {
  private static final String TOKEN = "tok-line-one\ntok-line-two";
  private static final String PASSWORD = "pg-password-0815";

  private final Secrets secrets =
      new Secrets(
          Map.of("SWITCHBACK_SECRET_TOKEN", TOKEN, "SWITCHBACK_SECRET_PG", PASSWORD),
          SecretScope.of(
              "SWITCHBACK_SECRET_", List.of(Path.of("/nonexistent-switchback")), Map.of()));

  @Test
  void theJdkHeaderBuildersMessageLosesTheToken() {
    String token = secrets.resolve("router.token", "env:SWITCHBACK_SECRET_TOKEN");
    // The JDK quotes the whole header value when it refuses one: the probe of issue 11.
    IllegalArgumentException thrown =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:1/"))
                    .header("Authorization", "Bearer " + token));
    assertTrue(thrown.getMessage().contains("tok-line-one"), "the probe shows the leak");

    RuntimeException out = secrets.redact(thrown);

    ApplicationFailure f = assertInstanceOf(ApplicationFailure.class, out);
    assertEquals(IllegalArgumentException.class.getName(), f.getType());
    assertFalse(f.isNonRetryable(), "retried as the original would have been");
    assertNoSecret(f);
    assertEquals(thrown.getStackTrace()[0], f.getStackTrace()[0]);
  }

  @Test
  void everyCauseIsRedactedAndTheFailureKeepsItsType() {
    String password = secrets.resolve("source.password", "env:SWITCHBACK_SECRET_PG");
    ApplicationFailure failure =
        ApplicationFailure.newNonRetryableFailureWithCause(
            "cannot fence the source",
            "FENCE_FAILED",
            new IllegalStateException(
                "pool failed", new SQLException("FATAL: bad password " + password)));

    RuntimeException out = secrets.redact(failure);

    ApplicationFailure f = assertInstanceOf(ApplicationFailure.class, out);
    assertEquals("FENCE_FAILED", f.getType());
    assertTrue(f.isNonRetryable());
    assertEquals("cannot fence the source", f.getOriginalMessage());
    assertEquals(
        SQLException.class.getName(), ((ApplicationFailure) f.getCause().getCause()).getType());
    assertNoSecret(f);
  }

  @Test
  void aFailureWithoutASecretIsLeftAsItIs() {
    secrets.resolve("source.password", "env:SWITCHBACK_SECRET_PG");
    IllegalStateException plain = new IllegalStateException("replication slot is active");

    assertSame(plain, secrets.redact(plain));
  }

  private static void assertNoSecret(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      String m =
          c instanceof ApplicationFailure a
              ? a.getOriginalMessage()
              : String.valueOf(c.getMessage());
      for (String s : List.of("tok-line-one", "tok-line-two", PASSWORD)) {
        assertFalse(m.contains(s), s + " in " + m);
      }
    }
  }
}
