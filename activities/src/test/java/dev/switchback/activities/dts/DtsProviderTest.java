package dev.switchback.activities.dts;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.TestSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DTS provider against a local HTTP server that answers as the DTS OpenAPI documents, driven as
 * a state machine with WireMock scenarios. The official SDK makes every call, so the action
 * headers, the documented parameter names and the ACS3-HMAC-SHA256 signature are what a real
 * endpoint would receive; after each test every request is re-signed from the documented algorithm
 * and compared, and checked to be a documented action with only the parameters its page lists
 * ({@link DtsApiDocs}). Recorded responses live in src/test/resources/dts (README.md there links
 * each to the API page it follows).
 */
class DtsProviderTest {
  static final String FORWARD = "n99m9jx822k1234";
  static final String REVERSE = "r77q1ab900k5678";
  static final String SCENARIO = "dts";
  static final Instant NOW = Instant.parse("2024-06-10T09:00:00Z");

  WireMockServer wm;
  DtsClients clients;
  DtsProvider provider;
  MigrationContext ctx;

  @BeforeEach
  void start() {
    wm = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    wm.start();
    clients = DtsClients.fromAccessKey(DtsApiDocs.ACCESS_KEY_ID, DtsApiDocs.ACCESS_KEY_SECRET);
    provider = new DtsProvider(clients, Clock.fixed(NOW, ZoneOffset.UTC));
    ctx = context(Map.of("regionId", "cn-hangzhou", "endpoint", "http://127.0.0.1:" + wm.port()));
  }

  @AfterEach
  void everyRequestWasADocumentedActionSignedAsDocumented() throws Exception {
    try {
      for (ServeEvent e : wm.getAllServeEvents()) {
        DtsApiDocs.assertSignedV3(e.getRequest());
        DtsApiDocs.assertDocumented(e.getRequest());
      }
    } finally {
      wm.stop();
    }
  }

  @Test
  void describeReadsMigratingJobWithMigrationDelayInMilliseconds() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-migrating.json");

    InstanceState s = provider.describe(ctx, Direction.FORWARD);

    assertEquals(FORWARD, s.instance());
    assertEquals("RUNNING", s.status());
    assertTrue(s.incremental(), "MigrationMode.DataSynchronization=true is an incremental stage");
    assertEquals(1200L, s.latencyMs(), "a migration task's Delay is in milliseconds");
    assertNull(s.position(), "DTS exposes no exact position");
    assertNull(provider.writerPosition(ctx, Direction.FORWARD));
    assertTrue(s.detail().contains("Migrating"), s.detail());
    wm.verify(
        postRequestedFor(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo("DescribeDtsJobDetail"))
            .withHeader("x-acs-version", equalTo("2020-01-01"))
            .withQueryParam("DtsJobId", equalTo(FORWARD))
            .withQueryParam("RegionId", equalTo("cn-hangzhou")));
  }

  @Test
  void pauseSuspendsOnceAndDescribeFollowsMigratingToPausedWithTheResumeDeadline() {
    stub(
        call("DescribeDtsJobDetail", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED),
        200,
        "DescribeDtsJobDetail.forward-migrating.json");
    stub(
        call("SuspendDtsJob", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("suspend-requested"),
        200,
        "SuspendDtsJob.json");
    // DTS applies the pause asynchronously: one more answer still says Migrating.
    stub(
        call("DescribeDtsJobDetail", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs("suspend-requested")
            .willSetStateTo("suspended"),
        200,
        "DescribeDtsJobDetail.forward-migrating.json");
    stub(
        call("DescribeDtsJobDetail", FORWARD).inScenario(SCENARIO).whenScenarioStateIs("suspended"),
        200,
        "DescribeDtsJobDetail.forward-suspending.json");

    provider.pause(ctx, Direction.FORWARD);
    InstanceState first = provider.describe(ctx, Direction.FORWARD);
    InstanceState paused = provider.describe(ctx, Direction.FORWARD);
    provider.pause(ctx, Direction.FORWARD);

    assertEquals("RUNNING", first.status());
    assertEquals("PAUSED", paused.status(), paused.detail());
    assertEquals(0L, paused.latencyMs());
    assertTrue(
        paused.detail().contains("cannot be resumed after " + NOW.plus(DtsProvider.RESUME_LIMIT)),
        paused.detail());
    assertTrue(paused.detail().contains("requested by Switchback"), paused.detail());
    wm.verify(
        1,
        postRequestedFor(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo("SuspendDtsJob"))
            .withQueryParam("DtsJobId", equalTo(FORWARD))
            .withQueryParam("RegionId", equalTo("cn-hangzhou")));
    assertEquals(0, count("StartDtsJob"), "a paused instance is never resumed");
  }

  @Test
  void pausedJobSeenByAnotherWorkerEstimatesTheDeadlineFromTheCheckpoint() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-suspending.json");

    InstanceState s = provider.describe(ctx, Direction.FORWARD);

    Instant checkpoint = Instant.ofEpochSecond(1718000000L);
    assertEquals("PAUSED", s.status());
    assertTrue(
        s.detail().contains("cannot be resumed after " + checkpoint.plus(DtsProvider.RESUME_LIMIT)),
        s.detail());
    assertTrue(s.detail().contains("estimated from the DTS checkpoint"), s.detail());
  }

  @Test
  void reverseIsCreatedOnceNamedThenStartedAfterItsPrecheckAndRuns() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-suspending.json");
    // Name lookup: nothing before the create, the named job afterwards.
    stub(
        call("DescribeDtsJobs", null).withQueryParam("Type", equalTo("name")).atPriority(5),
        200,
        "DescribeDtsJobs.reverse-named.json");
    stub(
        call("DescribeDtsJobs", null)
            .withQueryParam("Type", equalTo("name"))
            .atPriority(1)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED),
        200,
        "DescribeDtsJobs.empty.json");
    stub(
        call("DescribeDtsJobs", FORWARD).withQueryParam("Type", absent()),
        200,
        "DescribeDtsJobs.empty.json");
    stub(
        call("CreateReverseDtsJob", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("prechecking"),
        200,
        "CreateReverseDtsJob.json");
    stub(
        call("ModifyDtsJobName", REVERSE).withQueryParam("DtsJobName", equalTo("sb_rev_orders")),
        200,
        "ModifyDtsJobName.json");
    stub(
        call("DescribeDtsJobDetail", REVERSE)
            .inScenario(SCENARIO)
            .whenScenarioStateIs("prechecking")
            .willSetStateTo("collecting"),
        200,
        "DescribeDtsJobDetail.reverse-prechecking.json");
    stub(
        call("DescribeDtsJobDetail", REVERSE)
            .inScenario(SCENARIO)
            .whenScenarioStateIs("collecting"),
        200,
        "DescribeDtsJobDetail.reverse-suspending.json");
    stub(
        call("StartReverseWriter", REVERSE)
            .withQueryParam("CheckPoint", absent())
            .inScenario(SCENARIO)
            .whenScenarioStateIs("collecting")
            .willSetStateTo("writing"),
        200,
        "StartReverseWriter.json");
    stub(
        call("DescribeDtsJobDetail", REVERSE).inScenario(SCENARIO).whenScenarioStateIs("writing"),
        200,
        "DescribeDtsJobDetail.reverse-synchronizing.json");

    provider.createReverseIncremental(ctx); // creates; DTS prechecks
    InstanceState collecting = provider.describe(ctx, Direction.REVERSE);
    provider.createReverseIncremental(ctx); // paused after precheck: start the writer
    InstanceState running = provider.describe(ctx, Direction.REVERSE);
    provider.createReverseIncremental(ctx); // nothing left to do
    // Another worker (a retry elsewhere) finds the reverse job by its name.
    new DtsProvider(clients, Clock.systemUTC()).createReverseIncremental(ctx);

    assertEquals(REVERSE, collecting.instance());
    assertEquals("PAUSED", collecting.status());
    assertEquals("RUNNING", running.status(), running.detail());
    assertEquals(2000L, running.latencyMs(), "a reverse job is a synchronization task: seconds");
    assertEquals(1, count("CreateReverseDtsJob"), "the reverse instance is created once");
    assertEquals(1, count("StartReverseWriter"));
    assertEquals(1, count("ModifyDtsJobName"));
  }

  @Test
  void createWhoseResponseWasLostIsAdoptedFromTheForwardJobsReverseJob() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-suspending.json");
    stub(
        call("DescribeDtsJobs", null).withQueryParam("Type", equalTo("name")),
        200,
        "DescribeDtsJobs.empty.json");
    stub(
        call("DescribeDtsJobs", FORWARD).withQueryParam("JobType", equalTo("MIGRATION")),
        200,
        "DescribeDtsJobs.forward-with-reverse.json");
    answer("ModifyDtsJobName", REVERSE, 200, "ModifyDtsJobName.json");
    answer("DescribeDtsJobDetail", REVERSE, 200, "DescribeDtsJobDetail.reverse-prechecking.json");

    provider.createReverseIncremental(ctx);

    assertEquals(0, count("CreateReverseDtsJob"), "a reverse job already exists: no second one");
    wm.verify(
        postRequestedFor(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo("ModifyDtsJobName"))
            .withQueryParam("DtsJobId", equalTo(REVERSE))
            .withQueryParam("DtsJobName", equalTo("sb_rev_orders")));
  }

  @Test
  void reverseIsRefusedWhileTheForwardJobStillRuns() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-migrating.json");
    stub(call("DescribeDtsJobs", null), 200, "DescribeDtsJobs.empty.json");

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.createReverseIncremental(ctx));

    assertTrue(f.isNonRetryable());
    assertEquals(FailureTypes.INSTANCE_STATE, f.getType());
    assertTrue(f.getOriginalMessage().contains("only after it is paused"), f.getOriginalMessage());
    assertEquals(0, count("CreateReverseDtsJob"));
  }

  @Test
  void throttlingIsRetryableAndTheRetrySucceeds() {
    stub(
        call("DescribeDtsJobDetail", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("calm"),
        400,
        "error.Throttling.User.json");
    stub(
        call("DescribeDtsJobDetail", FORWARD).inScenario(SCENARIO).whenScenarioStateIs("calm"),
        200,
        "DescribeDtsJobDetail.forward-migrating.json");

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.describe(ctx, Direction.FORWARD));
    InstanceState retried = provider.describe(ctx, Direction.FORWARD);

    assertFalse(f.isNonRetryable(), "Temporal retries throttling with backoff");
    assertEquals("DtsTransient", f.getType());
    assertTrue(f.getOriginalMessage().contains("Throttling.User"), f.getOriginalMessage());
    assertEquals("RUNNING", retried.status());
  }

  @Test
  void serverErrorIsRetryable() {
    wm.stubFor(
        call("DescribeDtsJobDetail", FORWARD)
            .willReturn(
                aResponse()
                    .withStatus(503)
                    .withHeader("Content-Type", "application/json")
                    .withBody(
                        "{\"RequestId\":\"X\",\"Code\":\"ServiceUnavailable\",\"Message\":\"The"
                            + " request has failed due to a temporary failure of the server.\"}")));

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.describe(ctx, Direction.FORWARD));

    assertFalse(f.isNonRetryable());
  }

  @Test
  void accessDeniedIsNonRetryableAndNamesTheRamActionToGrant() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-migrating.json");
    answer("SuspendDtsJob", FORWARD, 403, "error.Forbidden.RAM.json");

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.pause(ctx, Direction.FORWARD));

    assertTrue(f.isNonRetryable());
    assertEquals(FailureTypes.PERMISSION, f.getType());
    assertTrue(f.getOriginalMessage().contains("Forbidden.RAM"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("dts:SuspendDtsJob"), f.getOriginalMessage());
  }

  @Test
  void unknownJobIsNotFoundOnDescribeAndNonRetryableOnPause() {
    // DTS's own error body; the HTTP status it comes with is not documented, so both are handled.
    stub(
        call("DescribeDtsJobDetail", FORWARD)
            .inScenario(SCENARIO)
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("again"),
        200,
        "DescribeDtsJobDetail.unknown-job.json");
    stub(
        call("DescribeDtsJobDetail", FORWARD).inScenario(SCENARIO).whenScenarioStateIs("again"),
        403,
        "DescribeDtsJobDetail.unknown-job.json");

    InstanceState s = provider.describe(ctx, Direction.FORWARD);
    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.pause(ctx, Direction.FORWARD));

    assertEquals("NOT_FOUND", s.status());
    assertTrue(f.isNonRetryable());
    assertEquals(FailureTypes.INSTANCE_STATE, f.getType());
    assertTrue(
        f.getOriginalMessage().contains("no DTS job " + FORWARD + " in region cn-hangzhou"),
        f.getOriginalMessage());
    assertEquals(0, count("SuspendDtsJob"));
  }

  @Test
  void terminateStopsAndReleasesAPayAsYouGoJob() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-suspending.json");
    answer("StopDtsJob", FORWARD, 200, "StopDtsJob.json");
    answer("DeleteDtsJob", FORWARD, 200, "DeleteDtsJob.json");

    provider.terminate(ctx, Direction.FORWARD);

    wm.verify(
        postRequestedFor(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo("StopDtsJob"))
            .withQueryParam("DtsJobId", equalTo(FORWARD))
            .withQueryParam("DtsInstanceId", equalTo("dtsn99m9jx822k1234")));
    wm.verify(
        postRequestedFor(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo("DeleteDtsJob"))
            .withQueryParam("DtsJobId", equalTo(FORWARD))
            .withQueryParam("JobType", equalTo("MIGRATION"))
            .withQueryParam("RegionId", equalTo("cn-hangzhou")));
  }

  @Test
  void subscriptionInstanceIsStoppedAndReportedButNotReleasedAndFinalizeGoesOn() {
    answer(
        "DescribeDtsJobDetail",
        FORWARD,
        200,
        "DescribeDtsJobDetail.forward-suspending-prepaid.json");
    answer("StopDtsJob", FORWARD, 200, "StopDtsJob.json");

    provider.terminate(ctx, Direction.FORWARD);
    InstanceState s = provider.describe(ctx, Direction.FORWARD);

    assertEquals(1, count("StopDtsJob"));
    assertEquals(0, count("DeleteDtsJob"), "the API cannot release a subscription instance");
    assertTrue(s.detail().contains("the API cannot release it"), s.detail());
  }

  @Test
  void terminateOfAMissingReverseInstanceDoesNothing() {
    stub(call("DescribeDtsJobs", null), 200, "DescribeDtsJobs.empty.json");

    provider.terminate(ctx, Direction.REVERSE);
    InstanceState s = provider.describe(ctx, Direction.REVERSE);

    assertEquals("NOT_FOUND", s.status());
    assertEquals(0, count("StopDtsJob") + count("DeleteDtsJob"));
  }

  @Test
  void dataCheckResultsBecomeAValidationReport() {
    stub(call("DescribeDtsJobs", FORWARD), 200, "DescribeDtsJobs.with-data-check.json");
    stub(
        call("DescribeDataCheckTableDetails", FORWARD).withQueryParam("CheckType", equalTo("1")),
        200,
        "DescribeDataCheckTableDetails.full.json");
    stub(
        call("DescribeDataCheckTableDiffDetails", FORWARD)
            .withQueryParam("CheckType", equalTo("1"))
            .withQueryParam("DbName", equalTo("shop"))
            .withQueryParam("TbName", equalTo("orders")),
        200,
        "DescribeDataCheckTableDiffDetails.orders.json");
    DtsDataCheck check = new DtsDataCheck(clients, Clock.fixed(NOW, ZoneOffset.UTC));

    ValidationReport r = check.report(ctx, List.of());
    ValidationReport onlyCustomers = check.report(ctx, List.of("shop.customers"));

    assertEquals(List.of(DtsDataCheck.FULL), check.configuredChecks(ctx));
    assertFalse(r.passed(), r.detail());
    assertTrue(r.detail().contains("shop.orders: 2 inconsistent rows"), r.detail());
    TableComparison orders = r.tables().get(0);
    assertEquals("shop.orders", orders.table());
    assertEquals(1300, orders.sourceRows());
    assertEquals(2, orders.changed());
    assertEquals(List.of("id=9511", "id=9512"), orders.examples());
    assertTrue(r.tables().get(1).same());
    assertTrue(onlyCustomers.passed(), onlyCustomers.detail());
    assertEquals(1, onlyCustomers.tables().size());
  }

  @Test
  void preflightReportsTheForwardInstanceAndTheReversePath() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-migrating.json");
    stub(call("DescribeDtsJobs", null), 200, "DescribeDtsJobs.empty.json");

    List<PreflightCheck> checks = provider.preflight(ctx);

    Map<String, PreflightCheck> byName = new HashMap<>();
    checks.forEach(c -> byName.put(c.check(), c));
    assertTrue(byName.get("dts forward instance").ok(), byName.toString());
    assertTrue(byName.get("dts reverse path").ok());
    assertTrue(byName.get("dts reverse instance").detail().contains("sb_rev_orders"));
  }

  @Test
  void preflightSaysWhetherTheDataVerificationTheTestReadsIsConfigured() {
    answer("DescribeDtsJobDetail", FORWARD, 200, "DescribeDtsJobDetail.forward-migrating.json");
    stub(call("DescribeDtsJobs", null), 200, "DescribeDtsJobs.empty.json");
    MigrationContext withTest =
        context(
            Map.of("regionId", "cn-hangzhou", "endpoint", "http://127.0.0.1:" + wm.port()),
            List.of(new TestSpec("dts", "dts-data-check", null, null, null, null, null, null)));

    PreflightCheck without = check(provider.preflight(ctx), "dts data verification");
    PreflightCheck notConfigured = check(provider.preflight(withTest), "dts data verification");
    stub(call("DescribeDtsJobs", FORWARD), 200, "DescribeDtsJobs.with-data-check.json");
    PreflightCheck configured = check(provider.preflight(withTest), "dts data verification");

    assertEquals(null, without, "no dts-data-check test, no check");
    assertFalse(notConfigured.ok());
    assertTrue(
        notConfigured.detail().contains("has no data verification configured"),
        notConfigured.detail());
    assertTrue(configured.ok(), configured.detail());
    assertTrue(configured.detail().contains("full data verification"), configured.detail());
  }

  private static PreflightCheck check(List<PreflightCheck> checks, String name) {
    return checks.stream().filter(c -> c.check().equals(name)).findFirst().orElse(null);
  }

  @Test
  void missingRegionIsABadPlanBeforeAnyCall() {
    MigrationContext bad = context(Map.of("endpoint", "http://127.0.0.1:" + wm.port()));

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.describe(bad, Direction.FORWARD));

    assertTrue(f.isNonRetryable());
    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().startsWith("migration.options.regionId"));
    assertEquals(0, wm.getAllServeEvents().size());
  }

  // --- helpers

  private MigrationContext context(Map<String, String> options) {
    return context(options, List.of());
  }

  private MigrationContext context(Map<String, String> options, List<TestSpec> tests) {
    CutoverPlan plan =
        new CutoverPlan(
                "orders",
                new MigrationSpec("dts", FORWARD, null, options),
                new EndpointSpec(
                    "mysql", "jdbc:mysql://src.example:3306/shop", "sb", null, null, null),
                new EndpointSpec(
                    "mysql", "jdbc:mysql://dst.example:3306/shop", "sb", null, null, null),
                new MigrationAccountSpec("dts_migrator", null, null),
                null,
                null,
                null,
                List.of(),
                null,
                tests,
                null,
                null)
            .withDefaults();
    return new MigrationContext(plan.workflowId(), plan, null);
  }

  private static MappingBuilder call(String action, String jobId) {
    MappingBuilder m =
        post(urlPathEqualTo("/"))
            .withHeader("x-acs-action", equalTo(action))
            .withHeader("x-acs-version", equalTo("2020-01-01"));
    return jobId == null ? m : m.withQueryParam("DtsJobId", equalTo(jobId));
  }

  private void answer(String action, String jobId, int status, String file) {
    stub(call(action, jobId), status, file);
  }

  private void stub(MappingBuilder m, int status, String file) {
    wm.stubFor(
        m.willReturn(
            aResponse()
                .withStatus(status)
                .withHeader("Content-Type", "application/json;charset=utf-8")
                .withBody(DtsApiDocs.recorded(file))));
  }

  private int count(String action) {
    RequestPatternBuilder p =
        postRequestedFor(urlPathEqualTo("/")).withHeader("x-acs-action", equalTo(action));
    return wm.findAll(p).size();
  }
}
