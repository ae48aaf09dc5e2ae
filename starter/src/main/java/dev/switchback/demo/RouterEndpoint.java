package dev.switchback.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo application's HTTP side: the webhook router contract on {@code /switchback} (see {@link
 * DemoApp} and docs/webhook-router.md), and the unsigned, read-only {@code /health} and {@code
 * /stats}. A router request is acted on only once its signature checks out ({@link
 * SignedRequests}).
 */
final class RouterEndpoint {
  private static final Logger log = LoggerFactory.getLogger(RouterEndpoint.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The router's requests are a few dozen bytes; anything much larger is not one. */
  private static final int MAX_REQUEST = 64 * 1024;

  private final DemoApp app;
  private final SignedRequests signatures;
  private final String token;

  /**
   * @param token the bearer token requests must carry as well, or null
   */
  RouterEndpoint(DemoApp app, SignedRequests signatures, String token) {
    this.app = app;
    this.signatures = signatures;
    this.token = token;
  }

  void route(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_REQUEST + 1);
      }
      if (body.length > MAX_REQUEST) {
        respond(exchange, 413, error("a router request body is at most " + MAX_REQUEST + " bytes"));
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      String method = exchange.getRequestMethod();
      // Checked before anything else is read from the request: an unverified request does nothing.
      String refusal =
          signatures.refusal(
              method,
              path,
              exchange.getRequestHeaders().getFirst("Switchback-Timestamp"),
              exchange.getRequestHeaders().getFirst("Switchback-Nonce"),
              exchange.getRequestHeaders().getFirst("Switchback-Signature"),
              body);
      if (refusal != null) {
        log.warn("router request {} {} refused: {}", method, path, refusal);
        respond(exchange, 401, error(refusal));
        return;
      }
      if (token != null
          && !("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        respond(exchange, 401, error("missing or wrong bearer token"));
        return;
      }
      String action = path.substring("/switchback".length()).replaceAll("^/+|/+$", "");
      switch (action) {
        case "state" -> {
          if (!"GET".equals(method)) {
            respond(exchange, 405, error("use GET /switchback/state"));
            return;
          }
          respond(exchange, 200, app.state().json());
        }
        case "quiesce", "point", "resume" -> {
          if (!"POST".equals(method)) {
            respond(exchange, 405, error("use POST /switchback/" + action));
            return;
          }
          post(exchange, action, body);
        }
        default ->
            respond(
                exchange,
                404,
                error("no such endpoint: use /switchback/{quiesce,point,resume,state}"));
      }
    }
  }

  private void post(HttpExchange exchange, String action, byte[] body) throws IOException {
    switch (action) {
      case "quiesce" -> {
        DemoApp.State s;
        try {
          s = app.quiesce();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          respond(exchange, 503, error("interrupted while quiescing"));
          return;
        }
        respond(exchange, s.inFlight() == 0 ? 200 : 503, s.json());
      }
      case "point" -> {
        Side side;
        try {
          JsonNode json = JSON.readTree(body);
          String t = json == null ? null : json.path("target").asText(null);
          side =
              "source".equals(t) ? Side.SOURCE : "destination".equals(t) ? Side.DESTINATION : null;
        } catch (IOException e) {
          side = null;
        }
        if (side == null) {
          respond(
              exchange,
              400,
              error("the body must be {\"target\":\"source\"} or {\"target\":\"destination\"}"));
          return;
        }
        try {
          respond(exchange, 200, app.point(side).json());
        } catch (IllegalStateException e) {
          respond(exchange, 409, error(e.getMessage()));
        }
      }
      default -> respond(exchange, 200, app.resume().json());
    }
  }

  /** Unsigned and read-only, for smoke tests: where the application writes, and whether held. */
  void health(HttpExchange exchange) throws IOException {
    try (exchange) {
      respond(exchange, 200, app.state().json());
    }
  }

  void stats(HttpExchange exchange) throws IOException {
    try (exchange) {
      respond(exchange, 200, app.stats());
    }
  }

  private static Map<String, Object> error(String message) {
    return Map.of("error", message);
  }

  private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
