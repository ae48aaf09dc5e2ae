package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.dts.DtsApiDocs;
import dev.switchback.activities.dts.DtsClients;
import dev.switchback.activities.dts.DtsProvider;
import dev.switchback.activities.dts.SimulatedDts;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanValidator;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Preflight of a DTS plan (issue 10, finding 7). With {@code migration.options.reverseJobId} the
 * operator made the reverse job by hand, so it must exist before the cutover: preflight checks that
 * it is there and not yet writing, where for a reverse instance Switchback creates it checks that
 * none is there yet. The real {@link DtsProvider} talks to {@link SimulatedDts}; the engines and
 * the router are fakes, as they play no part here.
 */
class DtsPreflightTest {
  private static final String CUTOVER = "cutover-orders";

  private final FakeClock clock = new FakeClock();
  private final Connections connections = new Connections(new Secrets(Map.of()));
  private final AtomicBoolean sourceReadOnly = new AtomicBoolean();
  private SimulatedDts dts;
  private TestActivityEnvironment env;
  private DatabaseActivities database;
  private MigrationActivities migration;

  @BeforeEach
  void setUp() {
    dts = new SimulatedDts(sourceReadOnly::get, () -> false);
    Registry registry =
        new Registry()
            .provider(
                new DtsProvider(
                    DtsClients.fromAccessKey(
                        DtsApiDocs.ACCESS_KEY_ID, DtsApiDocs.ACCESS_KEY_SECRET),
                    Clock.systemUTC()))
            .engine(new FakeEngine(clock, "mysql"))
            .router(new RecordingRouter("manual"));
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new DatabaseActivitiesImpl(registry, connections, clock, Duration.ofMillis(200)),
        new MigrationActivitiesImpl(registry, connections, clock, Duration.ofMillis(200)));
    database = env.newActivityStub(DatabaseActivities.class, TestPlans.OPTIONS);
    migration = env.newActivityStub(MigrationActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
    connections.close();
    dts.close();
  }

  @Test
  void aPlanWithAReverseJobMadeByHandPassesPreflightAndThatJobBecomesTheReverseInstance() {
    dts.reverseMadeByHand();
    CutoverPlan plan = PlanValidator.validate(plan(dts.reverseJobId()));

    PreflightReport report = database.preflight(CUTOVER, plan);

    assertTrue(report.ok(), report.checks().toString());
    PreflightCheck reverse = check(report, "reverse instance");
    assertTrue(reverse.detail().contains(dts.reverseJobId()), reverse.detail());
    // And the cutover uses it: after the pause, no CreateReverseDtsJob, its writer is started.
    migration.pauseInstance(CUTOVER, plan, Direction.FORWARD);
    InstanceState running = migration.startReverseIncremental(CUTOVER, plan);
    assertEquals(dts.reverseJobId(), running.instance());
    assertEquals("RUNNING", running.status());
    assertFalse(
        dts.calls().stream().anyMatch(c -> c.action().equals("CreateReverseDtsJob")),
        dts.calls().toString());
    assertEquals(List.of(), dts.violations());
  }

  @Test
  void aReverseJobIdThatNamesNoJobFailsPreflightNamingTheOption() {
    CutoverPlan plan = PlanValidator.validate(plan("r00nosuchjob00"));

    PreflightReport report = database.preflight(CUTOVER, plan);

    assertFalse(report.ok());
    PreflightCheck reverse = check(report, "reverse instance");
    assertFalse(reverse.ok());
    assertTrue(reverse.detail().contains("migration.options.reverseJobId"), reverse.detail());
  }

  @Test
  void withoutAReverseJobIdPreflightStillWantsNoReverseInstanceYet() {
    CutoverPlan plan = PlanValidator.validate(plan(null));

    PreflightReport report = database.preflight(CUTOVER, plan);

    assertTrue(report.ok(), report.checks().toString());
    assertEquals("reverse instance not there yet", check(report, "reverse instance").check());
  }

  private static PreflightCheck check(PreflightReport report, String prefix) {
    return report.checks().stream()
        .filter(c -> c.check().startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + prefix + ": " + report.checks()));
  }

  private CutoverPlan plan(String reverseJobId) {
    Map<String, String> options = new HashMap<>();
    options.put("regionId", SimulatedDts.REGION);
    options.put("endpoint", dts.endpoint());
    if (reverseJobId != null) {
      options.put("reverseJobId", reverseJobId);
    }
    return new CutoverPlan(
        "orders",
        new MigrationSpec("dts", dts.forwardJobId(), null, options),
        new EndpointSpec("mysql", "jdbc:mysql://src.example:3306/shop", "sb", null, null, null),
        new EndpointSpec("mysql", "jdbc:mysql://dst.example:3306/shop", "sb", null, null, null),
        new MigrationAccountSpec("dts_migrator", null, null),
        null,
        null,
        null,
        ApproverSpec.names("alice"),
        CutoverPlan.UNSIGNED,
        null,
        null,
        null);
  }
}
