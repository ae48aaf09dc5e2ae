package dev.switchback.activities.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.activities.support.CappedBody;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.WebUrls;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;

/**
 * The application's own admin endpoints over HTTP, as written down in docs/webhook-router.md:
 * {@code POST quiesce}, {@code POST point}, {@code POST resume}, {@code GET state}. After each
 * {@code POST} the router reads {@code /state} and checks the application did what it answered 200
 * to, because the workflow's first invariant (never two writable targets) rests on it.
 *
 * <p>4xx answers are the application refusing (bad token, unknown target): retrying cannot fix
 * them, so they fail non-retryable with the body. 5xx answers and I/O errors are retried by
 * Temporal; every call is idempotent. 408 and 429 are retried too: they ask to come back later.
 *
 * <p>With {@code router.signingKey}, every request carries an HMAC signature over its timestamp, a
 * nonce, method, path and body ({@link RequestSigner}), which the application checks before it
 * acts: a bearer token alone is the same on every request and works for anyone who saw one.
 *
 * <p>The application's answers are untrusted: a body is read up to {@link CappedBody#CAP} and only
 * a short, printable excerpt of it ever enters a message (and so the history), so a router URL
 * pointed at some internal service cannot read that service's answers back into the cutover.
 */
public final class WebhookRouter implements TrafficRouter {
  public static final String NAME = "webhook";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Secrets secrets;
  private final HttpClient http;
  private final Clock clock = Clock.systemUTC();

  public WebhookRouter(Secrets secrets) {
    this(
        secrets,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build());
  }

  public WebhookRouter(Secrets secrets, HttpClient http) {
    this.secrets = secrets;
    this.http = http;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RouterState quiesce(String cutoverId, CutoverPlan plan) {
    post(plan, "quiesce", body(cutoverId));
    AppState s = fetchState(plan);
    if (!s.quiesced() || s.inFlight() != 0) {
      throw contract(
          plan,
          "answered 2xx to POST /quiesce but GET /state then reported quiesced="
              + s.quiesced()
              + ", inFlight="
              + s.inFlight()
              + "; /quiesce must answer only once new writes are held and none is in flight");
    }
    return s.toRouterState();
  }

  @Override
  public RouterState point(String cutoverId, CutoverPlan plan, Side target) {
    ObjectNode body = body(cutoverId);
    body.put("target", target.word());
    post(plan, "point", body);
    AppState s = fetchState(plan);
    if (s.target() != target) {
      throw contract(
          plan,
          "answered 2xx to POST /point {\"target\":\""
              + target.word()
              + "\"} but GET /state then reported target="
              + (s.target() == null ? "null" : s.target().word()));
    }
    return s.toRouterState();
  }

  @Override
  public RouterState resume(String cutoverId, CutoverPlan plan) {
    post(plan, "resume", body(cutoverId));
    AppState s = fetchState(plan);
    if (s.quiesced()) {
      throw contract(
          plan, "answered 2xx to POST /resume but GET /state then still reported quiesced=true");
    }
    return s.toRouterState();
  }

  @Override
  public RouterState state(String cutoverId, CutoverPlan plan) {
    return fetchState(plan).toRouterState();
  }

  /** What {@code GET /state} answers. */
  record AppState(Side target, boolean quiesced, long inFlight) {
    RouterState toRouterState() {
      return new RouterState(
          target,
          quiesced,
          "application points at "
              + (target == null ? "an unknown side" : target.word())
              + (quiesced ? ", writes held" : ", writes flowing")
              + ", "
              + inFlight
              + " in flight");
    }
  }

  private static ObjectNode body(String cutoverId) {
    ObjectNode body = JSON.createObjectNode();
    body.put("cutoverId", cutoverId);
    return body;
  }

  private void post(CutoverPlan plan, String action, ObjectNode body) {
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot render the " + action + " request", e);
    }
    HttpRequest request =
        request(plan, action, "POST", json)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(json))
            .build();
    send(plan, request, "POST /" + action);
  }

  private AppState fetchState(CutoverPlan plan) {
    HttpRequest request =
        request(plan, "state", "GET", new byte[0])
            .header("Accept", "application/json")
            .GET()
            .build();
    CappedBody.Body answer = send(plan, request, "GET /state");
    if (answer.truncated()) {
      throw contract(
          plan, "GET /state answered more than " + CappedBody.CAP + " bytes: " + answer.excerpt());
    }
    String body = answer.excerpt();
    JsonNode node;
    try {
      node = JSON.readTree(answer.bytes());
    } catch (IOException e) {
      throw contract(plan, "GET /state did not answer JSON: " + body);
    }
    if (node == null || !node.isObject()) {
      throw contract(plan, "GET /state did not answer a JSON object: " + body);
    }
    JsonNode target = node.get("target");
    Side side;
    if (target == null || target.isNull()) {
      side = null;
    } else if ("source".equals(target.asText())) {
      side = Side.SOURCE;
    } else if ("destination".equals(target.asText())) {
      side = Side.DESTINATION;
    } else {
      throw contract(
          plan,
          "GET /state answered target="
              + CappedBody.excerpt(target.toString())
              + "; it must be \"source\" or \"destination\"");
    }
    JsonNode quiesced = node.get("quiesced");
    if (quiesced == null || !quiesced.isBoolean()) {
      throw contract(plan, "GET /state must carry \"quiesced\": true|false; got " + body);
    }
    JsonNode inFlight = node.get("inFlight");
    if (inFlight == null || !inFlight.canConvertToLong()) {
      throw contract(plan, "GET /state must carry \"inFlight\": <number>; got " + body);
    }
    return new AppState(side, quiesced.booleanValue(), inFlight.longValue());
  }

  /** The request's URI, timeout and credentials; the caller adds the method and body it signed. */
  private HttpRequest.Builder request(CutoverPlan plan, String action, String method, byte[] body) {
    RouterSpec spec = plan.router();
    if (spec == null || spec.url() == null || spec.url().isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "router.url: missing for router webhook; give the application's admin base URL, e.g."
              + " http://app:8080/switchback",
          FailureTypes.INVALID_PLAN);
    }
    PlanProblem unsafe = WebUrls.problem("router.url", spec.url());
    if (unsafe != null) {
      throw ApplicationFailure.newNonRetryableFailure(unsafe.toString(), FailureTypes.INVALID_PLAN);
    }
    String base =
        spec.url().endsWith("/") ? spec.url().substring(0, spec.url().length() - 1) : spec.url();
    URI uri;
    try {
      uri = URI.create(base + "/" + action);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "router.url: '" + spec.url() + "' is not a URL (" + e.getMessage() + ")",
          FailureTypes.INVALID_PLAN);
    }
    Duration timeout;
    try {
      timeout = Durations.parse(spec.timeout() == null ? "10s" : spec.timeout());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "router.timeout: " + e.getMessage(), FailureTypes.INVALID_PLAN);
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
    String token = secrets.resolve("router.token", spec.token());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    String key = secrets.resolve("router.signingKey", spec.signingKey());
    if (key != null) {
      if (key.length() < RequestSigner.MIN_KEY_CHARS) {
        throw ApplicationFailure.newNonRetryableFailure(
            "router.signingKey: the key is shorter than "
                + RequestSigner.MIN_KEY_CHARS
                + " characters; use at least "
                + RequestSigner.MIN_KEY_CHARS
                + " random characters (for example the output of openssl rand -hex 32)",
            FailureTypes.INVALID_PLAN);
      }
      b.headers(RequestSigner.headers(key, clock.instant(), method, uri.getRawPath(), body));
    }
    return b;
  }

  private CappedBody.Body send(CutoverPlan plan, HttpRequest request, String call) {
    HttpResponse<CappedBody.Body> response;
    try {
      response = CappedBody.send(http, request, request.timeout().orElse(Duration.ofSeconds(10)));
    } catch (IOException e) {
      throw new RouterUnavailableException(
          call + " to " + request.uri() + " failed: " + CappedBody.excerpt(e.toString()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RouterUnavailableException(call + " to " + request.uri() + " interrupted", e);
    }
    int status = response.statusCode();
    CappedBody.Body body = response.body();
    if (status >= 200 && status < 300) {
      return body;
    }
    if (status >= 500 || status == 408 || status == 429) {
      throw new RouterUnavailableException(
          call + " to " + request.uri() + " answered " + status + ": " + body.excerpt());
    }
    throw ApplicationFailure.newNonRetryableFailure(
        "router.url "
            + plan.router().url()
            + ": "
            + call
            + " answered "
            + status
            + ": "
            + body.excerpt()
            + (status == 401 || status == 403
                ? ". Check router.token, router.signingKey and that the worker's and the"
                    + " application's clocks agree (docs/webhook-router.md)"
                : status < 400
                    ? ". Redirects are not followed; set router.url to the final address"
                    : ". The application refused; see docs/webhook-router.md for the contract"),
        FailureTypes.ROUTER);
  }

  private static ApplicationFailure contract(CutoverPlan plan, String what) {
    return ApplicationFailure.newNonRetryableFailure(
        "router.url "
            + plan.router().url()
            + ": the application does not keep the webhook contract (docs/webhook-router.md): "
            + what,
        FailureTypes.ROUTER);
  }
}
