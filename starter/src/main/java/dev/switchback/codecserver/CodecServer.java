package dev.switchback.codecserver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.switchback.worker.codec.EncryptionCodec;
import dev.switchback.worker.codec.PayloadKeys;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Temporal codec server protocol over HTTP(S), for the {@code temporal} CLI ({@code
 * --codec-endpoint}) and the Temporal UI: {@code POST .../encode} and {@code POST .../decode} with
 * a {@code Payloads} message as protobuf JSON ({@code
 * {"payloads":[{"metadata":{...},"data":"..."}]}}, every bytes field base64), answered the same
 * way; only the last path segment decides, so {@code /{namespace}/decode} works (the protocol in
 * temporalio/samples-go codec-server, and docs.temporal.io/codec-server). Bad JSON and codec errors
 * answer 400.
 *
 * <p>On top of the protocol: every encode and decode needs an authorised user ({@link
 * CodecTokens}), an {@code Origin} must be allowed (CORS for the UI, preflights answered), and the
 * {@code X-Namespace} header can be restricted to the namespaces served.
 */
public final class CodecServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CodecServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String REALM = "realm=\"switchback codec server\"";
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  /**
   * Where and for whom to serve.
   *
   * @param host the bind address
   * @param port the port (0: any free port)
   * @param origins the browser origins allowed (the Temporal UI's), exactly as browsers send them
   * @param namespaces the namespaces served ({@code X-Namespace}); empty: any
   * @param tls the server's TLS context, or null for plain HTTP
   * @param maxBodyBytes the largest request body
   */
  public record Settings(
      String host,
      int port,
      Set<String> origins,
      Set<String> namespaces,
      SSLContext tls,
      int maxBodyBytes) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final Settings settings;
  private final CodecTokens tokens;
  private final EncryptionCodec codec;

  private CodecServer(
      HttpServer server,
      ExecutorService executor,
      Settings settings,
      CodecTokens tokens,
      EncryptionCodec codec) {
    this.server = server;
    this.executor = executor;
    this.settings = settings;
    this.tokens = tokens;
    this.codec = codec;
  }

  /**
   * Starts serving.
   *
   * @throws UncheckedIOException naming the address when it cannot be bound
   */
  public static CodecServer start(Settings settings, PayloadKeys keys, CodecTokens tokens) {
    HttpServer server;
    InetSocketAddress address = new InetSocketAddress(settings.host(), settings.port());
    try {
      if (settings.tls() != null) {
        HttpsServer https = HttpsServer.create(address, 0);
        https.setHttpsConfigurator(new HttpsConfigurator(settings.tls()));
        server = https;
      } else {
        server = HttpServer.create(address, 0);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "codec-server-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    CodecServer codecServer =
        new CodecServer(server, executor, settings, tokens, new EncryptionCodec(keys));
    server.createContext("/", codecServer::handle);
    server.setExecutor(executor);
    server.start();
    return codecServer;
  }

  /** {@code http(s)://host:port}, with the port actually bound. */
  public String url() {
    return (settings.tls() == null ? "http" : "https")
        + "://"
        + hostForUrl(settings.host())
        + ":"
        + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      Headers request = exchange.getRequestHeaders();
      String origin = request.getFirst("Origin");
      if (origin != null) {
        if (!settings.origins().contains(origin)) {
          log.warn("{} {} from origin {} refused: not allowed", method, path, origin);
          respond(
              exchange,
              403,
              error(
                  "origin "
                      + origin
                      + " is not allowed: start the codec server with --allow-origin "
                      + origin));
          return;
        }
        Headers cors = exchange.getResponseHeaders();
        cors.set("Access-Control-Allow-Origin", origin);
        cors.set("Access-Control-Allow-Credentials", "true");
        cors.set("Vary", "Origin");
      }
      String operation = operation(path);
      if ("OPTIONS".equals(method)) {
        // A preflight never carries credentials: it is answered without them.
        Headers h = exchange.getResponseHeaders();
        h.set("Access-Control-Allow-Methods", "POST, OPTIONS");
        h.set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace");
        h.set("Access-Control-Max-Age", "600");
        h.set("Allow", "POST, OPTIONS");
        exchange.sendResponseHeaders(204, -1);
        return;
      }
      if (operation == null) {
        if ("GET".equals(method)) {
          signIn(exchange);
        } else {
          respond(exchange, 404, error(path + " is neither .../encode nor .../decode"));
        }
        return;
      }
      if (!"POST".equals(method)) {
        exchange.getResponseHeaders().set("Allow", "POST, OPTIONS");
        respond(exchange, 405, error("use POST " + path));
        return;
      }
      String user = tokens.user(request.getFirst("Authorization"));
      if (user == null) {
        log.warn(
            "{} {} from {} refused: no token of an authorised user",
            method,
            path,
            exchange.getRemoteAddress());
        unauthorised(exchange);
        return;
      }
      String namespace = request.getFirst("X-Namespace");
      if (!settings.namespaces().isEmpty() && !settings.namespaces().contains(namespace)) {
        log.warn("{} by {} refused: namespace {} is not served", operation, user, namespace);
        respond(
            exchange,
            403,
            error(
                (namespace == null
                        ? "the request names no namespace (X-Namespace)"
                        : "namespace '" + namespace + "' is not served here")
                    + " (serves: "
                    + String.join(", ", settings.namespaces().stream().sorted().toList())
                    + ")"));
        return;
      }
      code(exchange, operation, user, namespace);
    }
  }

  private void code(HttpExchange exchange, String operation, String user, String namespace)
      throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readNBytes(settings.maxBodyBytes() + 1);
    }
    if (body.length > settings.maxBodyBytes()) {
      respond(
          exchange, 413, error("a request body is at most " + settings.maxBodyBytes() + " bytes"));
      return;
    }
    Payloads.Builder payloads = Payloads.newBuilder();
    try {
      PARSER.merge(new String(body, StandardCharsets.UTF_8), payloads);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      respond(
          exchange,
          400,
          error(
              "the body is not a Payloads JSON object ({\"payloads\":[{\"metadata\":{...},"
                  + "\"data\":\"<base64>\"}]}): "
                  + e.getMessage()));
      return;
    }
    List<Payload> out;
    try {
      out =
          "encode".equals(operation)
              ? codec.encode(payloads.getPayloadsList())
              : codec.decode(payloads.getPayloadsList());
    } catch (PayloadCodecException e) {
      log.warn("{} by {} (namespace {}) failed: {}", operation, user, namespace, e.getMessage());
      respond(exchange, 400, error(e.getMessage()));
      return;
    }
    log.info(
        "{} {}d {} payloads (namespace {})",
        user,
        operation,
        out.size(),
        namespace == null ? "not named" : namespace);
    respond(
        exchange,
        200,
        PRINTER.print(Payloads.newBuilder().addAllPayloads(out)).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A browser opening the server signs in with HTTP Basic (its user name and token); it then sends
   * those credentials with the UI's cross-origin requests when the UI includes credentials.
   */
  private void signIn(HttpExchange exchange) throws IOException {
    String user = tokens.user(exchange.getRequestHeaders().getFirst("Authorization"));
    if (user == null) {
      unauthorised(exchange);
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    byte[] text =
        ("signed in to the switchback codec server as " + user + "\n")
            .getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, text.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(text);
    }
  }

  private static void unauthorised(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer " + REALM);
    exchange.getResponseHeaders().add("WWW-Authenticate", "Basic " + REALM + ", charset=\"UTF-8\"");
    respond(
        exchange,
        401,
        error(
            "not a token of an authorised user: send Authorization: Bearer <your token> (temporal"
                + " --codec-auth 'Bearer <your token>'), or sign in with your user name and token"));
  }

  /** The last path segment, when it is one of the protocol's. */
  private static String operation(String path) {
    String p = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String last = p.substring(p.lastIndexOf('/') + 1);
    return "encode".equals(last) || "decode".equals(last) ? last : null;
  }

  private static byte[] error(String message) {
    try {
      return JSON.writeValueAsBytes(Map.of("error", message));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void respond(HttpExchange exchange, int status, byte[] json) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, json.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(json);
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
