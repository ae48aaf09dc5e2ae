package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan check of the URLs Switchback calls over HTTP: the webhook router and smoke tests. */
class PlanUrlsTest {

  private static CutoverPlan plan(RouterSpec router, List<TestSpec> tests) {
    return new CutoverPlan(
            "orders",
            new MigrationSpec("postgres", "sb_fwd", null, null),
            new EndpointSpec(
                "postgres", "jdbc:postgresql://127.0.0.1:5433/app", "postgres", null, null, null),
            new EndpointSpec(
                "postgres", "jdbc:postgresql://127.0.0.1:5434/app", "postgres", null, null, null),
            new MigrationAccountSpec("migrator", null, null),
            router,
            null,
            null,
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            tests,
            null,
            null)
        .withDefaults();
  }

  private static List<PlanProblem> router(String url, String signingKey) {
    return PlanValidator.problems(
        plan(new RouterSpec("webhook", url, null, null, signingKey), null));
  }

  private static List<PlanProblem> test(String url) {
    return PlanValidator.problems(
        plan(
            null,
            List.of(new TestSpec("health", "http", null, url, null, null, "destination", null))));
  }

  private static PlanProblem only(List<PlanProblem> problems, String field) {
    assertEquals(1, problems.size(), problems.toString());
    assertEquals(field, problems.get(0).field(), problems.toString());
    return problems.get(0);
  }

  @Test
  void plainHttpRouterToAnotherHostIsRefusedWithTheFix() {
    PlanProblem p = only(router("http://app.internal:8080/switchback", "env:KEY"), "router.url");

    assertTrue(p.problem().contains("plain http://"), p.toString());
    assertTrue(p.fix().contains("https://"), p.toString());
  }

  @Test
  void aWebhookRouterAcrossTheNetworkMustSignItsRequests() {
    PlanProblem p = only(router("https://app.internal/switchback", null), "router.signingKey");

    assertTrue(p.fix().contains("env:NAME"), p.toString());
    assertTrue(p.fix().contains("docs/webhook-router.md"), p.toString());
    assertEquals(List.of(), router("https://app.internal/switchback", "env:ROUTER_KEY"));
  }

  @Test
  void aLoopbackRouterMayUsePlainHttpWithoutSigning() {
    assertEquals(List.of(), router("http://127.0.0.1:8080/switchback", null));
    assertEquals(List.of(), router("http://localhost:8080/switchback", null));
    assertEquals(List.of(), router("http://[::1]:8080/switchback", "file:/etc/sb/router.key"));
  }

  @Test
  void aLiteralSigningKeyIsRefused() {
    PlanProblem p =
        only(router("https://app.internal/switchback", "0123456789abcdef"), "router.signingKey");

    assertTrue(p.problem().contains("literal"), p.toString());
    assertFalse(p.toString().contains("0123456789abcdef"), "the problem does not repeat the key");
  }

  @Test
  void credentialsInTheRouterUrlAreRefused() {
    PlanProblem p = only(router("https://admin:hunter2@app.internal/sb", "env:KEY"), "router.url");

    assertTrue(p.problem().contains("credentials"), p.toString());
    assertFalse(p.toString().contains("hunter2"), "the problem does not repeat the password");
  }

  @Test
  void plainHttpSmokeTestToAnotherHostIsRefused() {
    PlanProblem p = only(test("http://orders.internal:8080/health"), "tests[0].url");

    assertTrue(p.fix().contains("https://"), p.toString());
    assertEquals(List.of(), test("https://orders.internal/health"));
    assertEquals(List.of(), test("http://127.0.0.1:8080/health"));
    only(test("https://u:pw@orders.internal/health"), "tests[0].url");
  }
}
