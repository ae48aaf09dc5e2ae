package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.switchback.activities.VerificationActivities;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.plan.TestSpec;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** HTTP smoke tests against a real local HTTP server. */
class VerificationHttpTest {
  private HttpServer server;
  private TestActivityEnvironment env;
  private VerificationActivities activities;
  private final Connections connections = new Connections(new Secrets(Map.of()));

  @BeforeEach
  void setUp() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/health", ex -> answer(ex, 200, "{\"status\":\"healthy\"}"));
    server.createContext("/down", ex -> answer(ex, 503, "maintenance"));
    server.start();
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new VerificationActivitiesImpl(new Registry(), connections));
    activities = env.newActivityStub(VerificationActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
    server.stop(0);
    connections.close();
  }

  private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String body)
      throws IOException {
    byte[] out = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, out.length);
    ex.getResponseBody().write(out);
    ex.close();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private static TestSpec http(String name, String url, String expect, Integer status) {
    return new TestSpec(name, "http", null, url, expect, status, "destination", "5s");
  }

  @Test
  void httpTestsPassOnStatusAndBodyAndReportEveryFailureWithoutThrowing() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    TestReport r =
        activities.runTests(
            "cutover-verify",
            TestPlans.verificationPlan(
                "postgres",
                "jdbc:postgresql://127.0.0.1:5432/a",
                "jdbc:postgresql://127.0.0.1:5432/b",
                "postgres",
                List.of(
                    http("health", url("/health"), "healthy", null),
                    http("wrong body", url("/health"), "degraded", null),
                    http("down", url("/down"), null, null),
                    http("down expected", url("/down"), "maintenance", 503),
                    http("unreachable", "http://127.0.0.1:" + closedPort + "/x", null, null)),
                null));

    assertFalse(r.passed());
    assertEquals(
        List.of(true, false, false, true, false),
        r.results().stream().map(TestResult::passed).toList());
    assertEquals("HTTP 200, body contains 'healthy'", r.results().get(0).detail());
    assertTrue(
        r.results().get(1).detail().contains("does not contain 'degraded'"),
        r.results().get(1).detail());
    assertEquals("HTTP 503, expected 200; body: maintenance", r.results().get(2).detail());
    assertTrue(
        r.results()
            .get(4)
            .detail()
            .startsWith("GET http://127.0.0.1:" + closedPort + "/x failed: "),
        r.results().get(4).detail());
  }

  @Test
  void noTestsPass() {
    TestReport r =
        activities.runTests(
            "cutover-verify",
            TestPlans.verificationPlan(
                "postgres",
                "jdbc:postgresql://127.0.0.1:5432/a",
                "jdbc:postgresql://127.0.0.1:5432/b",
                "postgres",
                List.of(),
                null));

    assertTrue(r.passed());
    assertTrue(r.results().isEmpty());
  }

  private TestReport runOne(TestSpec test) {
    return activities.runTests(
        "cutover-verify",
        TestPlans.verificationPlan(
            "postgres",
            "jdbc:postgresql://127.0.0.1:5432/a",
            "jdbc:postgresql://127.0.0.1:5432/b",
            "postgres",
            List.of(test),
            null));
  }

  @Test
  void aRedirectIsNotFollowedToAnotherOrigin() throws IOException {
    HttpServer elsewhere =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicInteger hits = new AtomicInteger();
    elsewhere.createContext(
        "/",
        ex -> {
          hits.incrementAndGet();
          answer(ex, 200, "{\"status\":\"healthy\"}");
        });
    elsewhere.start();
    try {
      String target = "http://127.0.0.1:" + elsewhere.getAddress().getPort() + "/internal";
      server.createContext(
          "/moved",
          ex -> {
            ex.getResponseHeaders().add("Location", target);
            answer(ex, 302, "");
          });

      TestReport r = runOne(http("moved", url("/moved"), "healthy", null));

      assertFalse(r.passed());
      String detail = r.results().get(0).detail();
      assertTrue(detail.startsWith("HTTP 302, expected 200"), detail);
      assertTrue(detail.contains("redirects are not followed"), detail);
      assertEquals(0, hits.get(), "the redirect's target was never called");
    } finally {
      elsewhere.stop(0);
    }
  }

  @Test
  void anEndlessBodyIsReadOnlyUpToTheCap() {
    AtomicLong written = new AtomicLong();
    server.createContext(
        "/endless",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          byte[] chunk = new byte[8192];
          Arrays.fill(chunk, (byte) '\u0001');
          try {
            while (written.get() < (1L << 30)) {
              ex.getResponseBody().write(chunk);
              written.addAndGet(chunk.length);
            }
          } catch (IOException expected) {
            // the smoke test closed the connection
          } finally {
            ex.close();
          }
        });

    TestReport r =
        assertTimeoutPreemptively(
            Duration.ofSeconds(30), () -> runOne(http("endless", url("/endless"), "ok", null)));

    assertFalse(r.passed());
    String detail = r.results().get(0).detail();
    assertTrue(detail.contains("first 65536 bytes"), detail);
    assertTrue(detail.chars().noneMatch(Character::isISOControl), detail);
    assertTrue(detail.length() < 600, detail);
    assertTrue(written.get() < 64L << 20, "peer wrote " + written.get() + " bytes");
  }

  @Test
  void plainHttpToAHostOtherThanLoopbackFailsWithoutARequest() {
    TestReport r = runOne(http("remote", "http://orders.internal:8080/health", null, null));

    assertFalse(r.passed());
    String detail = r.results().get(0).detail();
    assertTrue(detail.contains("https://"), detail);
  }
}
