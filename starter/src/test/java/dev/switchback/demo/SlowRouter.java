package dev.switchback.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The application's admin endpoint behind a proxy that can answer one action slowly, as an
 * application's admin endpoint does when it waits on something of its own: the webhook router's
 * call is then one blocking HTTP call as long as the delay. The delay is before the request is
 * passed on, so the action happens late, not twice.
 */
final class SlowRouter implements AutoCloseable {
  private final String upstream;
  private final HttpServer http;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicReference<String> slowAction = new AtomicReference<>();
  private volatile Duration delay = Duration.ZERO;

  SlowRouter(String upstream) throws IOException {
    this.upstream = upstream;
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.setExecutor(threads);
    http.createContext("/switchback", this::forward);
    http.start();
  }

  String url() {
    return "http://127.0.0.1:" + http.getAddress().getPort() + "/switchback";
  }

  /** The next call of {@code action} (quiesce, point, resume) waits {@code delay} first. */
  void slowNext(String action, Duration delay) {
    this.delay = delay;
    slowAction.set(action);
  }

  private void forward(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String action = path.substring(path.lastIndexOf('/') + 1);
      String slow = slowAction.get();
      if (action.equals(slow) && slowAction.compareAndSet(slow, null)) {
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(upstream + path.substring("/switchback".length())))
              .timeout(Duration.ofSeconds(60))
              .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
      // The signature headers pass through untouched: the application checks them as it would
      // without the proxy (same path, same body).
      exchange
          .getRequestHeaders()
          .forEach(
              (name, values) -> {
                if (name.equalsIgnoreCase("Content-Type")
                    || name.equalsIgnoreCase("Authorization")
                    || name.toLowerCase(java.util.Locale.ROOT).startsWith("switchback-")) {
                  values.forEach(v -> request.header(name, v));
                }
              });
      HttpResponse<byte[]> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(response.statusCode(), response.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(response.body());
      }
    }
  }

  @Override
  public void close() {
    http.stop(0);
    threads.shutdownNow();
  }
}
