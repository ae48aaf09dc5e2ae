package dev.switchback.activities.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook router against a real HTTP server on 127.0.0.1 that implements the contract in
 * docs/webhook-router.md the way an application would: quiesce holds new writes and answers once
 * the in-flight ones have finished.
 */
class WebhookRouterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CUTOVER = "cutover-orders";

  private HttpServer server;
  private final App app = new App();
  private static final String KEY = "k".repeat(16) + "0123456789abcdef0123456789abcdef";
  private final Secrets secrets =
      new Secrets(Map.of("ROUTER_TOKEN", "s3cret", "ROUTER_KEY", KEY, "SHORT_KEY", "tooShort1"));
  private final WebhookRouter router = new WebhookRouter(secrets);

  record Received(
      String method, String path, byte[] body, String timestamp, String nonce, String signature) {}

  /** The application side of the contract. */
  static final class App {
    volatile String target = "source";
    volatile boolean quiesced;
    final AtomicInteger inFlight = new AtomicInteger();
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> authorizations = new CopyOnWriteArrayList<>();
    final List<JsonNode> bodies = new CopyOnWriteArrayList<>();

    /** Per request: method, raw path, raw body and the signature headers, as received. */
    final List<Received> received = new CopyOnWriteArrayList<>();

    /** When set, every call answers this status and body instead. */
    volatile int forcedStatus;

    volatile String forcedBody = "";
    volatile long delayMs;

    /** When set, /quiesce answers 200 without holding writes (a broken application). */
    volatile boolean lieAboutQuiesce;
  }

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/switchback", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath().substring("/switchback".length());
    app.requests.add(ex.getRequestMethod() + " " + path);
    app.authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
    byte[] in = ex.getRequestBody().readAllBytes();
    app.received.add(
        new Received(
            ex.getRequestMethod(),
            ex.getRequestURI().getRawPath(),
            in,
            ex.getRequestHeaders().getFirst("Switchback-Timestamp"),
            ex.getRequestHeaders().getFirst("Switchback-Nonce"),
            ex.getRequestHeaders().getFirst("Switchback-Signature")));
    JsonNode body = in.length == 0 ? JSON.createObjectNode() : JSON.readTree(in);
    if (in.length > 0) {
      app.bodies.add(body);
    }
    try {
      if (app.delayMs > 0) {
        Thread.sleep(app.delayMs);
      }
      if (app.forcedStatus != 0) {
        reply(ex, app.forcedStatus, app.forcedBody);
        return;
      }
      switch (ex.getRequestMethod() + " " + path) {
        case "POST /quiesce" -> {
          if (!app.lieAboutQuiesce) {
            app.quiesced = true;
            // Held writes wait; the ones already running finish: answer once none is left.
            while (app.inFlight.get() > 0) {
              Thread.sleep(10);
            }
          }
          reply(ex, 200, "");
        }
        case "POST /point" -> {
          String target = body.path("target").asText(null);
          if (!"source".equals(target) && !"destination".equals(target)) {
            reply(ex, 400, "{\"error\":\"target must be source or destination\"}");
            return;
          }
          app.target = target;
          reply(ex, 200, "");
        }
        case "POST /resume" -> {
          app.quiesced = false;
          reply(ex, 200, "");
        }
        case "GET /state" ->
            reply(
                ex,
                200,
                "{\"target\":\""
                    + app.target
                    + "\",\"quiesced\":"
                    + app.quiesced
                    + ",\"inFlight\":"
                    + app.inFlight.get()
                    + "}");
        default -> reply(ex, 404, "no such endpoint");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(ex, 500, "interrupted");
    }
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] out = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
    if (out.length > 0) {
      ex.getResponseBody().write(out);
    }
    ex.close();
  }

  private CutoverPlan plan(String token, String timeout) {
    return plan(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/switchback", token, timeout);
  }

  private static CutoverPlan plan(String url, String token, String timeout) {
    return plan(url, token, timeout, null);
  }

  private CutoverPlan signedPlan(String signingKey) {
    return plan(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/switchback",
        null,
        "5s",
        signingKey);
  }

  private static CutoverPlan plan(String url, String token, String timeout, String signingKey) {
    return new CutoverPlan(
            "orders",
            new MigrationSpec("postgres", "mig", null, null),
            new EndpointSpec(
                "postgres", "jdbc:postgresql://127.0.0.1:5433/app", "sb", null, null, null),
            new EndpointSpec(
                "postgres", "jdbc:postgresql://127.0.0.1:5434/app", "sb", null, null, null),
            new MigrationAccountSpec("migrator", null, true),
            new RouterSpec("webhook", url, token, timeout, signingKey),
            null,
            null,
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            null,
            null,
            null)
        .withDefaults();
  }

  @Test
  void quiescePointResumeFollowTheContractWithTheBearerToken() throws Exception {
    CutoverPlan plan = plan("env:ROUTER_TOKEN", "5s");
    app.inFlight.set(3);
    Thread finisher =
        new Thread(
            () -> {
              while (app.inFlight.get() > 0) {
                try {
                  Thread.sleep(50);
                } catch (InterruptedException e) {
                  return;
                }
                app.inFlight.decrementAndGet();
              }
            });
    finisher.start();

    RouterState before = router.state(CUTOVER, plan);
    RouterState quiesced = router.quiesce(CUTOVER, plan);
    RouterState pointed = router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState resumed = router.resume(CUTOVER, plan);
    finisher.join();

    assertEquals(Side.SOURCE, before.target());
    assertFalse(before.quiesced());
    assertTrue(quiesced.quiesced());
    assertTrue(quiesced.detail().contains("0 in flight"), quiesced.detail());
    assertEquals(Side.DESTINATION, pointed.target());
    assertTrue(pointed.quiesced(), "pointing does not let writes through");
    assertEquals(Side.DESTINATION, resumed.target());
    assertFalse(resumed.quiesced());
    assertEquals(
        List.of(
            "GET /state",
            "POST /quiesce",
            "GET /state",
            "POST /point",
            "GET /state",
            "POST /resume",
            "GET /state"),
        app.requests);
    assertTrue(
        app.authorizations.stream().allMatch("Bearer s3cret"::equals),
        app.authorizations.toString());
    JsonNode point = app.bodies.get(1);
    assertEquals("destination", point.get("target").asText());
    assertEquals(CUTOVER, point.get("cutoverId").asText());
    assertEquals(CUTOVER, app.bodies.get(0).get("cutoverId").asText());
  }

  @Test
  void callsAreIdempotent() {
    CutoverPlan plan = plan(null, "5s");

    router.quiesce(CUTOVER, plan);
    RouterState again = router.quiesce(CUTOVER, plan);
    router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState pointedAgain = router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState back = router.point(CUTOVER, plan, Side.SOURCE);

    assertTrue(again.quiesced());
    assertEquals(Side.DESTINATION, pointedAgain.target());
    assertEquals(Side.SOURCE, back.target());
  }

  @Test
  void noAuthorizationHeaderWithoutAToken() {
    router.state(CUTOVER, plan(null, "5s"));

    assertEquals(List.of("null"), app.authorizations);
  }

  @Test
  void clientErrorIsANonRetryableRouterFailureCarryingTheBody() {
    app.forcedStatus = 403;
    app.forcedBody = "{\"error\":\"token expired\"}";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.quiesce(CUTOVER, plan(null, "5s")));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(
        f.getOriginalMessage().contains("POST /quiesce answered 403"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("token expired"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("router.token"), f.getOriginalMessage());
  }

  @Test
  void serverErrorIsRetryable() {
    app.forcedStatus = 503;
    app.forcedBody = "draining";

    RouterUnavailableException e =
        assertThrows(
            RouterUnavailableException.class,
            () -> router.point(CUTOVER, plan(null, "5s"), Side.SOURCE));

    assertTrue(e.getMessage().contains("answered 503: draining"), e.getMessage());
  }

  @Test
  void timeoutIsRetryable() {
    app.delayMs = 1_500;

    RouterUnavailableException e =
        assertThrows(
            RouterUnavailableException.class, () -> router.state(CUTOVER, plan(null, "300ms")));

    assertInstanceOf(HttpTimeoutException.class, e.getCause());
  }

  @Test
  void unreachableApplicationIsRetryable() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    CutoverPlan plan = plan("http://127.0.0.1:" + closedPort + "/switchback", null, "2s");

    assertThrows(RouterUnavailableException.class, () -> router.resume(CUTOVER, plan));
  }

  @Test
  void anApplicationThatAnswersQuiesceWithoutHoldingWritesBreaksTheContract() {
    app.lieAboutQuiesce = true;
    app.inFlight.set(2);

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.quiesce(CUTOVER, plan(null, "5s")));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(
        f.getOriginalMessage().contains("quiesced=false, inFlight=2"), f.getOriginalMessage());
  }

  @Test
  void unknownTargetInStateIsAContractViolation() {
    app.target = "replica";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.state(CUTOVER, plan(null, "5s")));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertTrue(f.getOriginalMessage().contains("\"replica\""), f.getOriginalMessage());
  }

  @Test
  void missingTokenVariableIsAPlanError() {
    WebhookRouter withoutEnv = new WebhookRouter(new Secrets(Map.of()));

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> withoutEnv.state(CUTOVER, plan("env:ROUTER_TOKEN", "5s")));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().contains("router.token"), f.getOriginalMessage());
    assertTrue(app.requests.isEmpty(), "nothing is sent without the token");
  }

  @Test
  void stateWithoutTargetIsUnknownSide() {
    app.forcedStatus = 200;
    app.forcedBody = "{\"target\":null,\"quiesced\":false,\"inFlight\":0}";

    RouterState s = router.state(CUTOVER, plan(null, "5s"));

    assertNull(s.target());
  }

  @Test
  void anEndlessStateBodyIsReadOnlyUpToTheCapAndTheConnectionDropped() throws Exception {
    AtomicLong written = new AtomicLong();
    CountDownLatch peerGaveUp = new CountDownLatch(1);
    server.createContext(
        "/endless",
        ex -> {
          // A hostile application: 200, then a body that never ends (bounded here at 1 GiB so a
          // broken client cannot keep the test's server busy for ever).
          ex.sendResponseHeaders(200, 0);
          byte[] chunk = new byte[8192];
          java.util.Arrays.fill(chunk, (byte) 'x');
          try {
            while (written.get() < (1L << 30)) {
              ex.getResponseBody().write(chunk);
              written.addAndGet(chunk.length);
            }
          } catch (IOException expected) {
            // the router closed the connection
          } finally {
            peerGaveUp.countDown();
            ex.close();
          }
        });
    CutoverPlan plan =
        plan("http://127.0.0.1:" + server.getAddress().getPort() + "/endless", null, "10s");

    ApplicationFailure f =
        assertTimeoutPreemptively(
            Duration.ofSeconds(30),
            () -> assertThrows(ApplicationFailure.class, () -> router.state(CUTOVER, plan)));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertTrue(f.getOriginalMessage().contains("more than 65536 bytes"), f.getOriginalMessage());
    assertTrue(peerGaveUp.await(20, TimeUnit.SECONDS), "the router closed the connection");
    // What the peer wrote before its writes failed: the cap plus what the sockets' buffers hold,
    // nowhere near the 1 GiB it would have sent to a client reading everything.
    assertTrue(written.get() < 64L << 20, "peer wrote " + written.get() + " bytes");
  }

  @Test
  void aStateBodyEntersTheFailureOnlyAsAShortExcerptWithoutControlCharacters() {
    String secretTail = "INTERNAL-" + "y".repeat(5_000) + "-END";
    app.forcedStatus = 200;
    app.forcedBody =
        "{\"quiesced\":\"maybe\",\"note\":\"\u001b[31mred\r\nline\",\"x\":\"" + secretTail + "\"}";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.state(CUTOVER, plan(null, "5s")));

    String m = f.getOriginalMessage();
    assertFalse(m.contains("-END"), m);
    assertTrue(m.chars().noneMatch(Character::isISOControl), m);
    assertTrue(m.contains("quiesced"), m);
    assertTrue(m.length() < 600, "message of " + m.length() + " characters: " + m);
  }

  @Test
  void aRefusalCarriesOnlyAShortExcerptOfItsBody() {
    app.forcedStatus = 400;
    app.forcedBody = "{\"error\":\"bad\u0007 target\"}" + "z".repeat(1_000) + "TAIL";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.quiesce(CUTOVER, plan(null, "5s")));

    String m = f.getOriginalMessage();
    assertTrue(m.contains("bad target"), m);
    assertFalse(m.contains("TAIL"), m);
    assertTrue(m.chars().noneMatch(Character::isISOControl), m);
    assertTrue(m.contains("z".repeat(150)) && !m.contains("z".repeat(201)), m);
  }

  @Test
  void plainHttpToAHostOtherThanLoopbackIsRefusedBeforeAnyRequest() {
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> router.state(CUTOVER, plan("http://app.internal:8080/switchback", null, "5s")));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().startsWith("router.url"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("https://"), f.getOriginalMessage());
  }

  /** The receiving side's check, written from docs/webhook-router.md, not from the router. */
  private static String expectedSignature(Received r) throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(
        new javax.crypto.spec.SecretKeySpec(KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update(
        (r.timestamp() + "\n" + r.nonce() + "\n" + r.method() + "\n" + r.path() + "\n")
            .getBytes(StandardCharsets.UTF_8));
    mac.update(r.body());
    return "v1=" + java.util.HexFormat.of().formatHex(mac.doFinal());
  }

  @Test
  void everyRequestIsSignedOverTimestampNonceMethodPathAndBody() throws Exception {
    CutoverPlan plan = signedPlan("env:ROUTER_KEY");
    long before = System.currentTimeMillis() / 1000;

    router.quiesce(CUTOVER, plan);
    router.point(CUTOVER, plan, Side.DESTINATION);
    router.resume(CUTOVER, plan);

    long after = System.currentTimeMillis() / 1000;
    assertEquals(6, app.received.size());
    for (Received r : app.received) {
      assertTrue(r.signature() != null && r.signature().startsWith("v1="), String.valueOf(r));
      assertEquals(expectedSignature(r), r.signature(), r.method() + " " + r.path());
      long ts = Long.parseLong(r.timestamp());
      assertTrue(
          ts >= before && ts <= after,
          "timestamp " + ts + " not in [" + before + ", " + after + "]");
    }
    assertEquals(
        6, app.received.stream().map(Received::nonce).distinct().count(), "a nonce per request");
    Received point = app.received.get(2);
    assertEquals("POST /switchback/point", point.method() + " " + point.path());
    assertTrue(point.body().length > 0, "the body is signed as sent");
  }

  @Test
  void aShortSigningKeyIsAPlanErrorThatDoesNotShowTheKey() {
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class, () -> router.state(CUTOVER, signedPlan("env:SHORT_KEY")));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().startsWith("router.signingKey"), f.getOriginalMessage());
    assertFalse(f.getOriginalMessage().contains("tooShort1"), f.getOriginalMessage());
    assertTrue(app.requests.isEmpty(), "nothing is sent with a weak key");
  }

  @Test
  void withoutASigningKeyNoSignatureIsSent() {
    router.state(CUTOVER, plan(null, "5s"));

    assertNull(app.received.get(0).signature());
    assertNull(app.received.get(0).timestamp());
  }
}
