package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.approval.Ed25519;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanValidatorTest {
  private static final String ALICE_KEY = Ed25519.encode(Ed25519.generate().getPublic());

  /** A valid plan with the fewest fields: alice approves every gate, signing with her key. */
  static CutoverPlan minimal() {
    return new CutoverPlan(
        "orders",
        new MigrationSpec("postgres", "sb_fwd", null, null),
        new EndpointSpec(
            "postgres", "jdbc:postgresql://127.0.0.1:5433/app", "postgres", null, null, null),
        new EndpointSpec(
            "postgres", "jdbc:postgresql://127.0.0.1:5434/app", "postgres", null, null, null),
        new MigrationAccountSpec("migrator", null, null),
        null,
        null,
        null,
        List.of(new ApproverSpec("alice", ALICE_KEY)),
        null,
        null,
        null,
        null);
  }

  @Test
  void minimalPlanGetsTheSeedsDefaults() {
    CutoverPlan plan = PlanValidator.validate(minimal());
    assertEquals("5s", plan.thresholds().maxLatencyToStart());
    assertEquals("2m", plan.thresholds().stabilityWindow());
    assertEquals("2s", plan.thresholds().stabilityTolerance());
    assertEquals("approval", plan.gates().quiesce().mode());
    assertEquals("abort", plan.gates().quiesce().onTimeout());
    assertEquals("rollback", plan.gates().switchGate().onTimeout());
    assertEquals("manual", plan.router().type());
    assertEquals("sb_rev_orders", plan.migration().reverseInstance());
    assertEquals("cutover-orders", plan.workflowId());
    assertTrue(plan.migration().reverseWritesThroughFence());
  }

  @Test
  void literalPasswordIsRefusedNamingTheFieldAndTheFix() {
    CutoverPlan p = minimal();
    CutoverPlan bad =
        with(
            p,
            p.migration(),
            new EndpointSpec("postgres", p.source().url(), "postgres", "s3cret", null, null),
            null);
    InvalidPlanException e =
        assertThrows(InvalidPlanException.class, () -> PlanValidator.validate(bad));
    PlanProblem problem = e.problems().get(0);
    assertEquals("source.password", problem.field());
    assertTrue(problem.fix().contains("env:NAME"), problem.fix());
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    CutoverPlan bad =
        new CutoverPlan(
            "Bad Name",
            new MigrationSpec("oracle-goldengate", null, null, null),
            new EndpointSpec(
                "postgres", "jdbc:postgresql://u:pw@127.0.0.1/app", null, null, null, null),
            null,
            null,
            new RouterSpec("webhook", null, null, null, null),
            new Thresholds("5 seconds", null, null, null, null, null, null),
            new GatesSpec(null, new GateSpec("approval", "10m", "abort"), null),
            List.of(),
            null,
            null,
            null,
            "1 week");
    List<String> fields =
        PlanValidator.problems(bad.withDefaults()).stream().map(PlanProblem::field).toList();
    assertTrue(
        fields.containsAll(
            List.of(
                "name",
                "migration.provider",
                "migration.instance",
                "source.url",
                "destination",
                "migrationAccount.user",
                "router.url",
                "thresholds.maxLatencyToStart",
                "gates.switch.onTimeout",
                "approvers",
                "soak")),
        fields.toString());
  }

  @Test
  void sameEndpointOnBothSidesIsRefused() {
    CutoverPlan p = minimal();
    CutoverPlan bad =
        new CutoverPlan(
            p.name(),
            p.migration(),
            p.source(),
            p.source(),
            p.migrationAccount(),
            null,
            null,
            null,
            p.approvers(),
            p.approvals(),
            null,
            null,
            null);
    assertTrue(
        PlanValidator.problems(bad.withDefaults()).stream()
            .anyMatch(x -> x.field().equals("destination.url")));
  }

  @Test
  void durationsAcceptTheOperatorsUnits() {
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofHours(24), Durations.parse("24h"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Durations.parse("2 minutes"));
    assertTrue(e.getMessage().contains("e.g. 500ms"));
  }

  @Test
  void dtsReverseIsStartedOnlyAfterTheSourceFenceIsLifted() {
    assertEquals(
        false, new MigrationSpec("dts", "dtsjob1", null, null).reverseWritesThroughFence());
  }

  @Test
  void dtsDataCheckTestIsAcceptedOnlyForADtsMigration() {
    TestSpec check =
        new TestSpec("dts check", "dts-data-check", null, null, null, null, null, null);
    CutoverPlan p = minimal();
    CutoverPlan onPostgres = with(p, p.migration(), p.source(), List.of(check));
    CutoverPlan onDts =
        with(
            p,
            new MigrationSpec("dts", "dtsjob1", null, java.util.Map.of("regionId", "cn-hangzhou")),
            p.source(),
            List.of(check));

    List<PlanProblem> problems = PlanValidator.problems(onPostgres.withDefaults());
    assertEquals(1, problems.size(), problems.toString());
    assertEquals("tests[0].type", problems.get(0).field());
    assertTrue(problems.get(0).problem().contains("migration.provider is postgres"));
    assertEquals(List.of(), PlanValidator.problems(onDts.withDefaults()));
  }

  @Test
  void aMigrationAccountThatIsAnApplicationAccountIsRefused() {
    CutoverPlan p = minimal();
    CutoverPlan bad =
        accounts(
            p,
            new EndpointSpec("postgres", p.source().url(), "postgres", null, List.of("shop"), null),
            new EndpointSpec(
                "postgres", p.destination().url(), "postgres", null, List.of("Migrator"), null),
            new MigrationAccountSpec("migrator", null, false));

    List<PlanProblem> problems = PlanValidator.problems(bad.withDefaults());

    assertEquals(1, problems.size(), problems.toString());
    assertEquals("migrationAccount.user", problems.get(0).field());
    assertTrue(
        problems.get(0).problem().contains("destination.applicationAccounts[0]"),
        problems.toString());
    assertTrue(problems.get(0).fix().contains("dedicated account"), problems.toString());
  }

  @Test
  void aMigrationAccountThatIsTheAdminAccountIsRefusedWhileFinalizeWouldRevokeIt() {
    CutoverPlan p = minimal();
    CutoverPlan revoking =
        accounts(p, p.source(), p.destination(), new MigrationAccountSpec("postgres", null, null));
    CutoverPlan kept =
        accounts(p, p.source(), p.destination(), new MigrationAccountSpec("postgres", null, false));

    List<PlanProblem> problems = PlanValidator.problems(revoking.withDefaults());

    assertEquals(
        List.of("migrationAccount.user", "migrationAccount.user"),
        problems.stream().map(PlanProblem::field).toList());
    assertTrue(problems.get(0).problem().contains("(source.user)"), problems.toString());
    assertTrue(problems.get(1).problem().contains("(destination.user)"), problems.toString());
    assertTrue(
        problems.get(0).fix().contains("migrationAccount.revokeAtFinalize: false"),
        problems.toString());
    // PostgreSQL before 16 needs a superuser for subscriptions: with revoke off it is allowed.
    assertEquals(List.of(), PlanValidator.problems(kept.withDefaults()));
  }

  @Test
  void aDtsPlanGetsDefaultsItsStabilityWindowFitsIn() {
    CutoverPlan p = minimal();
    CutoverPlan dts = with(p, dtsMigration(), p.source(), null);

    CutoverPlan full = PlanValidator.validate(dts);

    assertEquals("2m", full.thresholds().stabilityWindow());
    assertEquals("10m", full.thresholds().drainTimeout());
    assertEquals("15m", full.thresholds().instanceTimeout());
    // Providers with an exact drain keep the seed's short deadlines.
    assertEquals("2m", PlanValidator.validate(p).thresholds().drainTimeout());
    assertEquals("5m", PlanValidator.validate(p).thresholds().instanceTimeout());
  }

  @Test
  void aDtsDrainTimeoutThatCannotHoldTheStabilityWindowIsRefused() {
    CutoverPlan p = minimal();
    Thresholds tight = new Thresholds(null, null, "2m", "2m", null, null, null);
    CutoverPlan dts = thresholds(with(p, dtsMigration(), p.source(), null), tight);
    CutoverPlan postgres = thresholds(p, tight);

    List<PlanProblem> problems = PlanValidator.problems(dts.withDefaults());

    assertEquals(1, problems.size(), problems.toString());
    assertEquals("thresholds.drainTimeout", problems.get(0).field());
    assertTrue(problems.get(0).problem().contains("stability window"), problems.toString());
    assertTrue(problems.get(0).fix().contains("at least 4m00s"), problems.toString());
    assertEquals(List.of(), PlanValidator.problems(postgres.withDefaults()));
    Thresholds roomy = new Thresholds(null, null, "4m", "2m", null, null, null);
    CutoverPlan fits = thresholds(with(p, dtsMigration(), p.source(), null), roomy);
    assertEquals(List.of(), PlanValidator.problems(fits.withDefaults()));
  }

  private static MigrationSpec dtsMigration() {
    return new MigrationSpec("dts", "dtsjob1", null, java.util.Map.of("regionId", "cn-hangzhou"));
  }

  private static CutoverPlan accounts(
      CutoverPlan p, EndpointSpec source, EndpointSpec destination, MigrationAccountSpec account) {
    return new CutoverPlan(
        p.name(),
        p.migration(),
        source,
        destination,
        account,
        null,
        null,
        null,
        p.approvers(),
        p.approvals(),
        null,
        null,
        null);
  }

  private static CutoverPlan thresholds(CutoverPlan p, Thresholds t) {
    return new CutoverPlan(
        p.name(),
        p.migration(),
        p.source(),
        p.destination(),
        p.migrationAccount(),
        p.router(),
        t,
        p.gates(),
        p.approvers(),
        p.approvals(),
        p.tests(),
        p.validation(),
        p.soak());
  }

  /** {@code p} with another migration, source and tests. */
  private static CutoverPlan with(
      CutoverPlan p, MigrationSpec m, EndpointSpec source, List<TestSpec> tests) {
    return new CutoverPlan(
        p.name(),
        m,
        source,
        p.destination(),
        p.migrationAccount(),
        null,
        null,
        null,
        p.approvers(),
        p.approvals(),
        tests,
        null,
        null);
  }
}
