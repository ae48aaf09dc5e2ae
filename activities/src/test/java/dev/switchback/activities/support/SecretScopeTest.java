package dev.switchback.activities.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exfiltration probes of issue 11: each is refused, and the secret's value is never shown. */
class SecretScopeTest {
  private static final String OTHER = "other-db-password-4711";
  private static final Map<String, String> ENV =
      Map.of(
          "OTHER_DB_PASSWORD", OTHER,
          "SWITCHBACK_SECRET_SOURCE", "source-pw-0815",
          "SWITCHBACK_SECRET_TOKEN", "line-one\nline-two");

  @TempDir Path tmp;

  private Secrets secrets(Path dir, Map<String, Set<String>> bindings) {
    return new Secrets(ENV, SecretScope.of("SWITCHBACK_SECRET_", List.of(dir), bindings));
  }

  @Test
  void aFileOutsideTheScopedDirectoriesIsRefusedAndNotRead() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("secrets"));
    Secrets s = secrets(dir, Map.of());

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class, () -> s.resolve("router.token", "file:/proc/self/environ"));

    assertTrue(f.getOriginalMessage().startsWith("router.token:"), f.getOriginalMessage());
    assertTrue(
        f.getOriginalMessage().contains(dir.toRealPath().toString()), f.getOriginalMessage());
  }

  @Test
  void dotDotAndSymlinksCannotLeaveTheScopedDirectory() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("secrets"));
    Path outside = Files.writeString(tmp.resolve("outside"), "outside-secret-1234");
    Files.createSymbolicLink(dir.resolve("link"), outside);

    Secrets s = secrets(dir, Map.of());

    assertThrows(
        ApplicationFailure.class,
        () -> s.resolve("source.password", "file:" + dir + "/../outside"));
    assertThrows(
        ApplicationFailure.class, () -> s.resolve("source.password", "file:" + dir + "/link"));
  }

  @Test
  void aFileInsideTheScopedDirectoryResolves() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("secrets"));
    Files.writeString(dir.resolve("source-password"), "in-scope-pw\n");

    assertEquals(
        "in-scope-pw",
        secrets(dir, Map.of()).resolve("source.password", "file:" + dir + "/source-password"));
  }

  @Test
  void anEnvironmentVariableWithoutThePrefixIsRefusedAndItsValueNeverShown() throws Exception {
    Secrets s = secrets(Files.createDirectory(tmp.resolve("secrets")), Map.of());

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class, () -> s.resolve("source.password", "env:OTHER_DB_PASSWORD"));

    assertTrue(f.getOriginalMessage().contains("SWITCHBACK_SECRET_"), f.getOriginalMessage());
    assertFalse(f.getOriginalMessage().contains(OTHER));
    assertEquals("source-pw-0815", s.resolve("source.password", "env:SWITCHBACK_SECRET_SOURCE"));
  }

  @Test
  void planCheckRefusesABoundSecretSentToAnotherEndpoint() throws Exception {
    Secrets s =
        secrets(
            Files.createDirectory(tmp.resolve("secrets")),
            Map.of("env:SWITCHBACK_SECRET_SOURCE", Set.of("pg-source.internal:5432")));

    CutoverPlan honest = plan("jdbc:postgresql://pg-source.internal:5432/app", null);
    CutoverPlan exfiltrating = plan("jdbc:postgresql://evil.example:5432/app", null);

    assertEquals(List.of(), s.problems(honest));
    List<PlanProblem> problems = s.problems(exfiltrating);
    assertEquals(1, problems.size(), problems.toString());
    assertEquals("source.password", problems.get(0).field());
    assertTrue(problems.get(0).problem().contains("evil.example:5432"), problems.toString());
  }

  @Test
  void thePgBouncerConsolePasswordIsBoundToTheConsolesItIsSentTo() throws Exception {
    Secrets s =
        secrets(
            Files.createDirectory(tmp.resolve("secrets")),
            Map.of("env:SWITCHBACK_SECRET_PGB", Set.of("pgb-1:6432", "pgb-2:6433")));
    RouterSpec honest =
        RouterSpec.pgbouncer(
            List.of(
                new RouterInstance("postgres://sb@pgb-1/pgbouncer", "/etc/pgbouncer/db.ini"),
                new RouterInstance("postgres://sb@PGB-2:6433/pgbouncer", "/mnt/pgb-2/db.ini")),
            "orders",
            "env:SWITCHBACK_SECRET_PGB",
            "10s");
    RouterSpec exfiltrating =
        RouterSpec.pgbouncer(
            List.of(new RouterInstance("postgres://sb@evil.example:6432/pgbouncer", "/x/db.ini")),
            "orders",
            "env:SWITCHBACK_SECRET_PGB",
            "10s");

    assertEquals(List.of(), s.problems(plan(null, null).withRouter(honest)));
    List<PlanProblem> problems = s.problems(plan(null, null).withRouter(exfiltrating));
    assertEquals(1, problems.size(), problems.toString());
    assertEquals("router.password", problems.get(0).field());
    assertTrue(problems.get(0).problem().contains("evil.example:6432"), problems.toString());
    assertTrue(problems.get(0).problem().contains("router.instances"), problems.toString());
  }

  @Test
  void planCheckNamesEveryReferenceOutsideTheScope() throws Exception {
    Secrets s = secrets(Files.createDirectory(tmp.resolve("secrets")), Map.of());
    CutoverPlan plan =
        new CutoverPlan(
                "orders",
                new MigrationSpec("postgres", "sub", null, Map.of()),
                new EndpointSpec(
                    "postgres",
                    "jdbc:postgresql://h:5432/app",
                    "admin",
                    "env:OTHER_DB_PASSWORD",
                    null,
                    null),
                new EndpointSpec(
                    "postgres", "jdbc:postgresql://h2:5432/app", "admin", null, null, null),
                new MigrationAccountSpec("migrator", null, true),
                new RouterSpec(
                    "webhook", "https://app:8443/sb", "file:/proc/self/environ", null, null),
                null,
                null,
                List.of(),
                null,
                null,
                null,
                "1m")
            .withDefaults();

    List<String> fields = s.problems(plan).stream().map(PlanProblem::field).toList();

    assertEquals(List.of("source.password", "router.token"), fields);
    assertFalse(s.problems(plan).toString().contains(OTHER));
  }

  @Test
  void aTokenWithALineBreakIsRefusedByThePlanCheckWithoutShowingIt() throws Exception {
    Secrets s = secrets(Files.createDirectory(tmp.resolve("secrets")), Map.of());

    List<PlanProblem> problems = s.problems(plan(null, "env:SWITCHBACK_SECRET_TOKEN"));

    assertEquals(1, problems.size(), problems.toString());
    assertEquals("router.token", problems.get(0).field());
    assertFalse(problems.toString().contains("line-one"), problems.toString());
  }

  @Test
  void redactHidesEveryResolvedValue() throws Exception {
    Secrets s = secrets(Files.createDirectory(tmp.resolve("secrets")), Map.of());
    s.resolve("source.password", "env:SWITCHBACK_SECRET_SOURCE");
    s.resolve("router.token", "env:SWITCHBACK_SECRET_TOKEN");

    String redacted =
        s.redact(
            "FATAL: password source-pw-0815 rejected; invalid header value: \"Bearer line-one\nline-two\"");

    assertFalse(redacted.contains("source-pw-0815"), redacted);
    assertFalse(redacted.contains("line-one"), redacted);
    assertFalse(redacted.contains("line-two"), redacted);
    assertTrue(redacted.startsWith("FATAL: password "), redacted);
  }

  @Test
  void theWorkerEnvironmentConfiguresTheScope() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("secrets"));
    SecretScope scope =
        SecretScope.fromEnvironment(
            Map.of(
                SecretScope.DIRS_VARIABLE,
                dir.toString(),
                SecretScope.BINDINGS_VARIABLE,
                "env:SWITCHBACK_SECRET_SOURCE=pg-source.internal:5432, pg-source-2:5432"));

    Secrets s = new Secrets(ENV, scope);
    assertEquals(List.of(), s.problems(plan("jdbc:postgresql://pg-source-2:5432/app", null)));
    assertEquals(1, s.problems(plan("jdbc:postgresql://other:5432/app", null)).size());

    IllegalArgumentException empty =
        assertThrows(
            IllegalArgumentException.class,
            () -> SecretScope.fromEnvironment(Map.of(SecretScope.PREFIX_VARIABLE, "")));
    assertTrue(empty.getMessage().contains(SecretScope.PREFIX_VARIABLE), empty.getMessage());
  }

  private static CutoverPlan plan(String sourceUrl, String token) {
    return new CutoverPlan(
            "orders",
            new MigrationSpec("postgres", "sub", null, Map.of()),
            new EndpointSpec(
                "postgres",
                sourceUrl == null ? "jdbc:postgresql://pg-source.internal:5432/app" : sourceUrl,
                "admin",
                "env:SWITCHBACK_SECRET_SOURCE",
                null,
                null),
            new EndpointSpec(
                "postgres",
                "jdbc:postgresql://pg-source.internal:5432/app2",
                "admin",
                null,
                null,
                null),
            new MigrationAccountSpec("migrator", null, true),
            token == null
                ? RouterSpec.manual()
                : new RouterSpec("webhook", "https://app:8443/sb", token, null, null),
            null,
            null,
            List.of(),
            null,
            null,
            null,
            "1m")
        .withDefaults();
  }
}
