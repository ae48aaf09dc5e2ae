package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.router.WebhookRouter;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.RouterSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo application is the receiving side of the webhook router's signed requests
 * (docs/webhook-router.md): it acts on a request only when its signature, timestamp and nonce check
 * out. Its writers write nowhere here, so no database is needed.
 */
class DemoAppSignatureTest {
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private NowhereApp app;

  /** A demo application whose writes are acknowledged at once. */
  static final class NowhereApp extends DemoApp {
    NowhereApp() throws IOException {
      super(Settings.defaults().withRate(1, 20));
      begin();
    }

    @Override
    protected String nextOrder(int writer, long seq) {
      return runId + "-" + writer + "-" + seq;
    }

    @Override
    protected void write(Side side, String order, long started) {
      acknowledge(side, order);
    }

    @Override
    protected void closeClients() {}
  }

  @BeforeEach
  void start() throws IOException {
    app = new NowhereApp();
  }

  @AfterEach
  void stop() {
    app.close();
  }

  private HttpRequest.Builder signed(String method, String action, String body, long timestamp)
      throws IOException {
    return SignedCalls.request(app, method, action, body, timestamp);
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static long now() {
    return SignedCalls.now();
  }

  @Test
  void anUnsignedRequestIsRefusedAndChangesNothing() throws Exception {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(app.routerUrl() + "/quiesce"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"cutoverId\":\"x\"}"))
                .build());

    assertEquals(401, r.statusCode(), r.body());
    assertTrue(r.body().contains("unsigned"), r.body());
    assertFalse(app.state().quiesced());
  }

  @Test
  void aSignedRequestIsActedOnOnceAndItsReplayIsRefused() throws Exception {
    HttpRequest quiesce = signed("POST", "quiesce", "{\"cutoverId\":\"x\"}", now()).build();

    HttpResponse<String> first = send(quiesce);
    app.resume();
    HttpResponse<String> replay = send(quiesce);

    assertEquals(200, first.statusCode(), first.body());
    assertEquals(401, replay.statusCode(), replay.body());
    assertTrue(replay.body().contains("replayed"), replay.body());
    assertFalse(app.state().quiesced(), "the replay changed nothing");
  }

  @Test
  void aStaleOrFutureTimestampIsRefused() throws Exception {
    HttpResponse<String> stale = send(signed("POST", "quiesce", "{}", now() - 301).build());
    HttpResponse<String> future = send(signed("POST", "quiesce", "{}", now() + 301).build());

    assertEquals(401, stale.statusCode(), stale.body());
    assertTrue(stale.body().contains("timestamp"), stale.body());
    assertEquals(401, future.statusCode(), future.body());
    assertFalse(app.state().quiesced());
  }

  @Test
  void aSignatureForAnotherBodyOrPathIsRefused() throws Exception {
    HttpRequest.Builder b = signed("POST", "point", "{\"target\":\"source\"}", now());
    HttpResponse<String> otherBody =
        send(b.POST(HttpRequest.BodyPublishers.ofString("{\"target\":\"destination\"}")).build());
    HttpRequest resume = signed("POST", "resume", "{}", now()).build();
    HttpResponse<String> otherPath =
        send(
            HttpRequest.newBuilder(URI.create(app.routerUrl() + "/quiesce"))
                .headers(
                    resume.headers().map().entrySet().stream()
                        .flatMap(e -> List.of(e.getKey(), e.getValue().get(0)).stream())
                        .toArray(String[]::new))
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build());

    assertEquals(401, otherBody.statusCode(), otherBody.body());
    assertTrue(otherBody.body().contains("signature"), otherBody.body());
    assertEquals(401, otherPath.statusCode(), otherPath.body());
    assertFalse(app.state().quiesced());
    assertEquals(Side.SOURCE, app.state().target());
  }

  @Test
  void theWebhookRouterWithThePlansKeyDrivesTheApplication() {
    CutoverPlan plan =
        PlanValidator.validate(
            new CutoverPlan(
                "signed",
                new MigrationSpec("postgres", "sb_fwd", null, null),
                new EndpointSpec(
                    "postgres", "jdbc:postgresql://127.0.0.1:5433/app", "sb", null, null, null),
                new EndpointSpec(
                    "postgres", "jdbc:postgresql://127.0.0.1:5434/app", "sb", null, null, null),
                new MigrationAccountSpec("migrator", null, null),
                new RouterSpec("webhook", app.routerUrl(), null, "10s", app.routerSigningKey()),
                null,
                null,
                ApproverSpec.names("alice"),
                CutoverPlan.UNSIGNED,
                null,
                null,
                null));
    WebhookRouter router = new WebhookRouter(new Secrets(Map.of()));

    RouterState quiesced = router.quiesce("cutover-signed", plan);
    RouterState pointed = router.point("cutover-signed", plan, Side.DESTINATION);
    RouterState resumed = router.resume("cutover-signed", plan);

    assertTrue(quiesced.quiesced());
    assertEquals(Side.DESTINATION, pointed.target());
    assertFalse(resumed.quiesced());
    assertEquals(Side.DESTINATION, app.state().target());
  }
}
