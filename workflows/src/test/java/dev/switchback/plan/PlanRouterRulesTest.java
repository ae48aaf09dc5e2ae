package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The rules of the proxy routers (pgbouncer, haproxy): every field named with its fix. */
class PlanRouterRulesTest {
  private static final String PGB_FILE = "/etc/pgbouncer/pgbouncer.ini";

  private static CutoverPlan withRouter(RouterSpec router) {
    return PlanValidatorTest.minimal().withRouter(router);
  }

  private static List<PlanProblem> problems(RouterSpec router) {
    return PlanValidator.problems(withRouter(router).withDefaults());
  }

  private static String fields(List<PlanProblem> problems) {
    return problems.stream().map(PlanProblem::field).sorted().collect(Collectors.joining(","));
  }

  private static PlanProblem only(RouterSpec router) {
    List<PlanProblem> p = problems(router);
    assertEquals(1, p.size(), p.toString());
    return p.get(0);
  }

  @Test
  void aPgBouncerRouterWithTwoInstancesIsValid() {
    RouterSpec r =
        RouterSpec.pgbouncer(
            List.of(
                new RouterInstance("postgres://sb@pgb-1:6432/pgbouncer", PGB_FILE),
                new RouterInstance("postgresql://sb@pgb-2/pgbouncer", "/mnt/pgb-2/databases.ini")),
            "orders",
            "env:PGB_PASSWORD",
            "10s");
    assertEquals(List.of(), problems(r));
    assertEquals(r, PlanValidator.validate(withRouter(r)).router());
  }

  @Test
  void anHaproxyRouterIsValid() {
    RouterSpec r =
        RouterSpec.haproxy(
            List.of(
                new RouterInstance("tcp://127.0.0.1:9999", null),
                new RouterInstance("unix:///run/haproxy/admin.sock", null)),
            "mariadb",
            "src",
            "dst",
            null);
    assertEquals(List.of(), problems(r));
  }

  @Test
  void aPgBouncerRouterNeedsItsInstancesAndDatabase() {
    List<PlanProblem> p = problems(RouterSpec.pgbouncer(null, null, null, null));
    assertEquals("router.database,router.instances", fields(p));
    assertTrue(
        p.get(0).fix().contains("databasesFile") || p.get(1).fix().contains("databasesFile"));
  }

  @Test
  void eachPgBouncerInstanceNamesTheAdminConsoleAndItsFile() {
    assertEquals(
        "router.instances[0].databasesFile",
        only(RouterSpec.pgbouncer(
                List.of(new RouterInstance("postgres://sb@pgb:6432/pgbouncer", null)),
                "orders",
                null,
                null))
            .field());
    PlanProblem relative =
        only(
            RouterSpec.pgbouncer(
                List.of(new RouterInstance("postgres://sb@pgb:6432/pgbouncer", "pgbouncer.ini")),
                "orders",
                null,
                null));
    assertTrue(relative.problem().contains("not an absolute path"), relative.toString());
    PlanProblem notAdmin =
        only(
            RouterSpec.pgbouncer(
                List.of(new RouterInstance("postgres://sb@pgb:6432/orders", PGB_FILE)),
                "orders",
                null,
                null));
    assertEquals("router.instances[0].url", notAdmin.field());
    assertTrue(notAdmin.fix().contains("/pgbouncer"), notAdmin.toString());
    PlanProblem password =
        only(
            RouterSpec.pgbouncer(
                List.of(new RouterInstance("postgres://sb:secret@pgb:6432/pgbouncer", PGB_FILE)),
                "orders",
                null,
                null));
    assertTrue(password.fix().contains("router.password"), password.toString());
    PlanProblem twice =
        only(
            RouterSpec.pgbouncer(
                List.of(
                    new RouterInstance("postgres://sb@pgb:6432/pgbouncer", PGB_FILE),
                    new RouterInstance("postgres://sb@pgb:6432/pgbouncer", PGB_FILE)),
                "orders",
                null,
                null));
    assertEquals("router.instances[1].url", twice.field());
  }

  @Test
  void aLiteralPgBouncerPasswordIsRefused() {
    PlanProblem p =
        only(
            RouterSpec.pgbouncer(
                List.of(new RouterInstance("postgres://sb@pgb:6432/pgbouncer", PGB_FILE)),
                "orders",
                "hunter2",
                null));
    assertEquals("router.password", p.field());
    assertTrue(p.fix().contains("env:NAME"), p.toString());
  }

  @Test
  void anHaproxyRouterNeedsItsBackendAndTwoDifferentServers() {
    List<PlanProblem> missing =
        problems(
            RouterSpec.haproxy(
                List.of(new RouterInstance("tcp://127.0.0.1:9999", null)), null, null, null, null));
    assertEquals("router.backend,router.destinationServer,router.sourceServer", fields(missing));
    PlanProblem same =
        only(
            RouterSpec.haproxy(
                List.of(new RouterInstance("tcp://127.0.0.1:9999", null)), "be", "s", "s", null));
    assertEquals("router.destinationServer", same.field());
    PlanProblem badAddress =
        only(
            RouterSpec.haproxy(
                List.of(new RouterInstance("http://127.0.0.1:9999/stats", null)),
                "be",
                "src",
                "dst",
                null));
    assertEquals("router.instances[0].url", badAddress.field());
    PlanProblem relativeSocket =
        only(
            RouterSpec.haproxy(
                List.of(new RouterInstance("unix://run/haproxy.sock", null)),
                "be",
                "src",
                "dst",
                null));
    assertTrue(relativeSocket.fix().contains("unix:///"), relativeSocket.toString());
  }

  @Test
  void aFieldOfAnotherRouterIsRefusedNamingIt() {
    RouterSpec webhookWithBackend =
        new RouterSpec(
            "webhook",
            "http://127.0.0.1:8080/switchback",
            null,
            null,
            null,
            null,
            null,
            null,
            "be",
            null,
            null);
    PlanProblem p = only(webhookWithBackend);
    assertEquals("router.backend", p.field());
    assertTrue(p.problem().contains("not used by router webhook"), p.toString());
    PlanProblem url =
        only(
            new RouterSpec(
                "pgbouncer",
                "postgres://sb@pgb:6432/pgbouncer",
                null,
                null,
                null,
                List.of(new RouterInstance("postgres://sb@pgb:6432/pgbouncer", PGB_FILE)),
                "orders",
                null,
                null,
                null,
                null));
    assertEquals("router.url", url.field());
    assertTrue(url.fix().contains("router.instances"), url.toString());
  }

  @Test
  void anUnknownRouterListsTheRouters() {
    PlanProblem p = only(new RouterSpec("envoy", null, null, null, null));
    assertEquals("router.type", p.field());
    assertTrue(p.fix().contains("haproxy") && p.fix().contains("pgbouncer"), p.toString());
  }
}
