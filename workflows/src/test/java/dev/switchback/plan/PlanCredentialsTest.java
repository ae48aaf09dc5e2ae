package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 11, item 7: a plan carries references to secrets, never a secret itself. */
class PlanCredentialsTest {
  private static final String LITERAL = "hunter2";

  private static CutoverPlan plan(
      Map<String, String> migrationOptions,
      EndpointSpec source,
      EndpointSpec destination,
      RouterSpec router,
      List<TestSpec> tests) {
    return new CutoverPlan(
            "orders",
            new MigrationSpec("mariadb", "sb_fwd", null, migrationOptions),
            source,
            destination,
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

  private static EndpointSpec endpoint(String engine, String url, Map<String, String> options) {
    return new EndpointSpec(engine, url, "admin", null, null, options);
  }

  private static List<PlanProblem> problems(CutoverPlan plan) {
    List<PlanProblem> problems = PlanValidator.problems(plan);
    assertFalse(problems.toString().contains(LITERAL), "the secret is echoed: " + problems);
    return problems;
  }

  private static CutoverPlan withSourceUrl(String engine, String url) {
    return plan(
        Map.of(),
        endpoint(engine, url, null),
        endpoint("postgres", "jdbc:postgresql://dst:5432/app", null),
        null,
        null);
  }

  @Test
  void literalSecretsInOptionsAreRefusedNamingTheField() {
    CutoverPlan p =
        plan(
            Map.of("replicationPassword", LITERAL, "databases", "shop"),
            endpoint("mariadb", "jdbc:mariadb://src:3306/shop", Map.of("apiToken", LITERAL)),
            endpoint(
                "mariadb",
                "jdbc:mariadb://dst:3306/shop",
                Map.of("clientSecret", LITERAL, "replicationHost", "dst-repl")),
            null,
            null);

    List<String> fields = problems(p).stream().map(PlanProblem::field).toList();

    assertEquals(
        List.of(
            "migration.options.replicationPassword",
            "source.options.apiToken",
            "destination.options.clientSecret"),
        fields);
    assertTrue(problems(p).get(0).fix().contains("env:NAME"), problems(p).toString());
  }

  @Test
  void referencesInOptionsPass() {
    CutoverPlan p =
        plan(
            Map.of("replicationPassword", "file:/run/secrets/switchback/repl", "databases", "shop"),
            endpoint("mariadb", "jdbc:mariadb://src:3306/shop", null),
            endpoint("mariadb", "jdbc:mariadb://dst:3306/shop", null),
            null,
            null);

    assertEquals(List.of(), problems(p));
  }

  @ParameterizedTest
  @CsvSource({
    "oracle, jdbc:oracle:thin:scott/hunter2@//db:1521/svc",
    "oracle, jdbc:oracle:thin:scott/hunter2@db:1521:orcl",
    "redis, redis://:hunter2@127.0.0.1:6380",
    "redis, rediss://default:hunter2@cache:6380",
    "mongodb, mongodb://admin:hunter2@h1:27017/app",
    "postgres, jdbc:postgresql://admin:hunter2@h:5432/app",
    "postgres, jdbc:postgresql://h:5432/app?user=admin&password=hunter2",
    "sqlserver, jdbc:sqlserver://h:1433;databaseName=app;password=hunter2"
  })
  void credentialsInAnEndpointUrlAreRefused(String engine, String url) {
    List<PlanProblem> problems = problems(withSourceUrl(engine, url));

    assertEquals(List.of("source.url"), problems.stream().map(PlanProblem::field).toList());
  }

  @ParameterizedTest
  @CsvSource({
    "oracle, jdbc:oracle:thin:@//db:1521/svc",
    "oracle, jdbc:oracle:thin:@db:1521:orcl",
    "redis, redis://127.0.0.1:6380",
    "mongodb, mongodb://h1:27017/app?replicaSet=rs0",
    "postgres, jdbc:postgresql://h:5432/app?user=admin&sslmode=verify-full",
    "sqlserver, jdbc:sqlserver://h:1433;databaseName=app;encrypt=true"
  })
  void urlsWithoutCredentialsPass(String engine, String url) {
    assertEquals(List.of(), problems(withSourceUrl(engine, url)));
  }

  @Test
  void credentialsInRouterAndTestUrlsAreRefused() {
    CutoverPlan p =
        plan(
            Map.of(),
            endpoint("postgres", "jdbc:postgresql://src:5432/app", null),
            endpoint("postgres", "jdbc:postgresql://dst:5432/app", null),
            new RouterSpec("webhook", "https://sb:hunter2@app:8443/switchback", null, null, null),
            List.of(
                new TestSpec(
                    "health",
                    "http",
                    null,
                    "http://probe:hunter2@app/health",
                    null,
                    null,
                    null,
                    null)));

    assertEquals(
        List.of("router.url", "tests[0].url"),
        problems(p).stream().map(PlanProblem::field).toList());
  }
}
