package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.FakeEngine.writer;
import static dev.switchback.activities.impl.FakeProvider.running;
import static dev.switchback.activities.impl.FakeProvider.state;
import static dev.switchback.activities.impl.TestPlans.failure;
import static dev.switchback.activities.impl.TestPlans.plan;
import static dev.switchback.activities.impl.TestPlans.thresholds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DatabaseActivitiesImplTest {
  private static final String CUTOVER = "cutover-orders";
  private static final CutoverPlan PLAN =
      plan(thresholds("5s", "10m", "2m", "2m", "2s", "30s", "1m"));

  private final FakeClock clock = new FakeClock();
  private final FakeProvider provider = new FakeProvider(clock, "postgres");
  private final FakeEngine engine = new FakeEngine(clock, "postgres");
  private final FakeEngine otherEngine = new FakeEngine(clock, "mariadb");
  private final RecordingRouter router = new RecordingRouter("manual");
  private final Connections connections = new Connections(new Secrets(Map.of()));
  private final List<WaitProgress> heartbeats = new CopyOnWriteArrayList<>();
  private TestActivityEnvironment env;
  private DatabaseActivities activities;

  @BeforeEach
  void setUp() {
    provider.forward = t -> running(800);
    env = TestActivityEnvironment.newInstance();
    Registry registry =
        new Registry().provider(provider).engine(engine).engine(otherEngine).router(router);
    env.registerActivitiesImplementations(
        new DatabaseActivitiesImpl(registry, connections, clock, Duration.ofMillis(200)));
    env.setActivityHeartbeatListener(WaitProgress.class, heartbeats::add);
    activities = env.newActivityStub(DatabaseActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
    connections.close();
  }

  @Test
  void checkSessionsWaitsUntilTheLastWriterIsGone() {
    engine.writers =
        t -> t < 1_600 ? List.of(writer("4711", "app", "10.0.0.5:5123", "active")) : List.of();

    SessionReport r = activities.checkSessions(CUTOVER, PLAN, Side.SOURCE);

    assertTrue(r.writers().isEmpty());
    assertEquals(Side.SOURCE, r.side());
    assertEquals(1, r.others());
    assertEquals(2, r.excluded());
    assertEquals(1_600, r.waitedMs());
    assertFalse(heartbeats.isEmpty());
    assertTrue(heartbeats.get(0).detail().contains("4711"), heartbeats.get(0).detail());
  }

  @Test
  void writersRemainFailsNonRetryableNamingEachWriter() {
    engine.writers =
        t ->
            List.of(
                writer("4711", "app", "10.0.0.5:5123", "idle in transaction"),
                writer("4712", "batch", "10.0.0.6:6000", "active"));

    ApplicationFailure f = failure(() -> activities.checkSessions(CUTOVER, PLAN, Side.SOURCE));

    assertEquals(FailureTypes.WRITERS_REMAIN, f.getType());
    assertTrue(f.isNonRetryable());
    String m = f.getOriginalMessage();
    for (String part :
        List.of(
            "id 4711 user app client 10.0.0.5:5123",
            "state idle in transaction",
            "id 4712 user batch client 10.0.0.6:6000",
            "state active",
            "2 application write session(s) remain on the source",
            "source.applicationAccounts")) {
      assertTrue(m.contains(part), "'" + part + "' missing from: " + m);
    }
    assertEquals(30_000, clock.elapsed(), "thresholds.sessionCheckTimeout");
  }

  @Test
  void fenceAndUnfencePassToTheEngineOfThatSide() {
    CutoverPlan mixed = withDestinationEngine(PLAN, "mariadb");

    FenceResult fenced = activities.fenceWrites(CUTOVER, mixed, Side.DESTINATION);
    FenceResult lifted = activities.unfenceWrites(CUTOVER, mixed, Side.SOURCE);

    assertEquals(Side.DESTINATION, fenced.side());
    assertTrue(fenced.detail().contains("5434"), fenced.detail());
    assertEquals(List.of("fenceWrites DESTINATION"), otherEngine.calls);
    assertEquals(List.of("unfenceWrites SOURCE"), engine.calls);
    assertEquals(Side.SOURCE, lifted.side());
  }

  @Test
  void revokeMigrationAccountRevokesOnBothSidesUnlessTheOperatorKeepsIt() {
    String done = activities.revokeMigrationAccount(CUTOVER, PLAN);

    assertEquals(
        List.of("revokeWrite SOURCE migrator", "revokeWrite DESTINATION migrator"), engine.calls);
    assertTrue(done.contains("source: revoked migrator"), done);
    assertTrue(done.contains("destination: revoked migrator"), done);

    engine.calls.clear();
    CutoverPlan keep =
        plan(thresholds("5s", "10m", "2m", "2m", "2s", "30s", "1m"), RouterSpec.manual(), false);
    String skipped = activities.revokeMigrationAccount(CUTOVER, keep);

    assertTrue(engine.calls.isEmpty());
    assertTrue(skipped.contains("revokeAtFinalize is false"), skipped);
  }

  @Test
  void aRevokeThatFailsOnOneSideStillRevokesTheOtherAndFailsNamingWhatIsLeft() {
    engine.revokeFails.put(
        Side.SOURCE,
        ApplicationFailure.newNonRetryableFailure(
            "source: the migration account 'migrator' can still write after the revoke: INSERT on"
                + " table public.orders (held by PUBLIC)",
            FailureTypes.WRITE_PATHS_LEFT));

    ApplicationFailure f = failure(() -> activities.revokeMigrationAccount(CUTOVER, PLAN));

    assertEquals(
        List.of("revokeWrite SOURCE migrator", "revokeWrite DESTINATION migrator"), engine.calls);
    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("held by PUBLIC"), f.getOriginalMessage());
    assertTrue(
        f.getOriginalMessage().contains("the other side held: destination: revoked migrator"),
        f.getOriginalMessage());
  }

  @Test
  void preflightIsOkWhenEveryCheckHolds() {
    PreflightReport r = activities.preflight(CUTOVER, PLAN);

    assertTrue(r.ok(), r.toString());
    assertTrue(r.checks().stream().anyMatch(c -> c.check().startsWith("source: reachable")));
    assertTrue(r.checks().stream().anyMatch(c -> c.check().startsWith("destination: reachable")));
    assertTrue(r.checks().stream().anyMatch(c -> c.check().equals("provider ok")));
    assertTrue(r.checks().stream().anyMatch(c -> c.check().startsWith("forward instance")));
    assertTrue(r.checks().stream().anyMatch(c -> c.check().equals("router state reachable")));
    // Each side is looked at once (the checks run side by side; the report keeps its order).
    assertEquals(
        List.of("preflight DESTINATION", "preflight SOURCE"),
        engine.calls.stream().sorted().toList());
  }

  @Test
  void preflightReportsEveryFailingCheckAndChangesNothing() {
    provider.forward = t -> state("mig", "PAUSED", true, null);
    provider.reverse = t -> state("sb_rev_orders", "RUNNING", true, 0L);
    engine.preflight = List.of(new PreflightCheck("privilege to fence", false, "grant it"));
    router.fail = true;

    PreflightReport r = activities.preflight(CUTOVER, PLAN);

    assertFalse(r.ok());
    assertEquals(
        List.of(
            "source: privilege to fence",
            "destination: privilege to fence",
            "forward instance exists and is RUNNING (or COMPLETED without incremental stage)",
            "reverse instance not there yet",
            "router state reachable"),
        r.checks().stream().filter(c -> !c.ok()).map(PreflightCheck::check).toList());
    PreflightCheck routerCheck =
        r.checks().stream()
            .filter(c -> c.check().equals("router state reachable"))
            .findFirst()
            .get();
    assertTrue(routerCheck.detail().contains("connection refused"), routerCheck.detail());
    // Each side is looked at once (the checks run side by side; the report keeps its order).
    assertEquals(
        List.of("preflight DESTINATION", "preflight SOURCE"),
        engine.calls.stream().sorted().toList());
    assertEquals(0, provider.pauses.get() + provider.creates.get() + provider.terminates.get());
    assertEquals(List.of("state"), router.calls);
  }

  @Test
  void preflightReportsTheRoutersOwnChecks() {
    router.preflight =
        List.of(
            PreflightCheck.warning("exposed", "anyone can reach it"),
            new PreflightCheck("level admin", false, "level user"));

    PreflightReport r = activities.preflight(CUTOVER, PLAN);

    assertFalse(r.ok());
    assertEquals(
        List.of(
            PreflightCheck.warning("router: exposed", "anyone can reach it"),
            new PreflightCheck("router: level admin", false, "level user")),
        r.checks().stream().filter(c -> c.check().startsWith("router: ")).toList());
  }

  @Test
  void preflightReportsAnUnknownEngineAsAFailedCheck() {
    CutoverPlan plan = withDestinationEngine(PLAN, "oracle");

    PreflightReport r = activities.preflight(CUTOVER, plan);

    assertFalse(r.ok());
    PreflightCheck c =
        r.checks().stream().filter(x -> x.check().equals("destination engine")).findFirst().get();
    assertTrue(c.detail().contains("'oracle' is not supported by this worker"), c.detail());
  }

  private static CutoverPlan withDestinationEngine(CutoverPlan p, String engine) {
    EndpointSpec d = p.destination();
    return new CutoverPlan(
        p.name(),
        p.migration(),
        p.source(),
        new EndpointSpec(
            engine, d.url(), d.user(), d.password(), d.applicationAccounts(), d.options()),
        p.migrationAccount(),
        p.router(),
        p.thresholds(),
        p.gates(),
        p.approvers(),
        p.approvals(),
        p.tests(),
        p.validation(),
        p.soak());
  }
}
