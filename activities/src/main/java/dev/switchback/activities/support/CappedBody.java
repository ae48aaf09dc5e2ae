package dev.switchback.activities.support;

import dev.switchback.plan.Durations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * An HTTP response body read up to a cap, and the short excerpt of it that may enter a message.
 *
 * <p>The endpoints Switchback calls (the application's router, smoke test URLs) are named by the
 * plan, so their answers are untrusted: a body that never ends must not fill the worker's memory,
 * and what ends up in workflow history (failure messages, test details) must be a short, printable
 * excerpt, never the whole answer of whatever the URL reaches.
 */
public final class CappedBody {
  /** The most of a body that is ever read. */
  public static final int CAP = 64 * 1024;

  /** The most characters of a body that enter a message. */
  public static final int EXCERPT = 200;

  // Control characters (C0, C1), format characters (bidi overrides, zero-width) and line
  // separators: they could forge lines or hide text in logs, the CLI and the UI.
  private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]");
  private static final Pattern SPACES = Pattern.compile("\\s+");

  /**
   * What was read.
   *
   * @param bytes at most {@link #CAP} bytes
   * @param truncated whether the peer had more to send
   */
  public record Body(byte[] bytes, boolean truncated) {
    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The body as it may appear in a message: see {@link CappedBody#excerpt(String)}. */
    public String excerpt() {
      return CappedBody.excerpt(text()) + (truncated ? " (more than " + CAP + " bytes)" : "");
    }
  }

  private CappedBody() {}

  /**
   * Sends {@code request} and reads at most {@link #CAP} bytes of the answer; the connection is
   * closed when the peer has more. The whole exchange, body included, ends within {@code timeout}
   * (the request's own timeout covers only the wait for the headers).
   */
  public static HttpResponse<Body> send(HttpClient http, HttpRequest request, Duration timeout)
      throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<Body>> call =
        http.sendAsync(request, info -> new Subscriber(CAP));
    try {
      return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new HttpTimeoutException(
          "no complete answer within " + Durations.human(timeout.toMillis()));
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(cause);
    }
  }

  /**
   * {@code text} with control and format characters replaced, spaces collapsed, and cut to {@link
   * #EXCERPT} characters.
   */
  public static String excerpt(String text) {
    if (text == null) {
      return "null";
    }
    String clean =
        SPACES.matcher(UNPRINTABLE.matcher(text).replaceAll(" ")).replaceAll(" ").strip();
    if (clean.codePointCount(0, clean.length()) <= EXCERPT) {
      return clean;
    }
    int end = clean.offsetByCodePoints(0, EXCERPT);
    return clean.substring(0, end) + "... (" + (clean.length() - end) + " more characters)";
  }

  /** Keeps the first {@code cap} bytes, then cancels: the client closes the connection. */
  private static final class Subscriber implements HttpResponse.BodySubscriber<Body> {
    private final int cap;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<Body> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Subscriber(int cap) {
      this.cap = cap;
    }

    @Override
    public CompletionStage<Body> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
      boolean more = false;
      for (ByteBuffer b : items) {
        int take = Math.min(b.remaining(), cap - out.size());
        byte[] chunk = new byte[take];
        b.get(chunk);
        out.write(chunk, 0, take);
        more |= b.hasRemaining();
      }
      if (more) {
        subscription.cancel();
        result.complete(new Body(out.toByteArray(), true));
      } else {
        subscription.request(1);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(new Body(out.toByteArray(), false));
    }
  }
}
