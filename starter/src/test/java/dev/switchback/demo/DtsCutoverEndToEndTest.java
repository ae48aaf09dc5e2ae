package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.tomakehurst.wiremock.http.Request;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.switchback.activities.dts.DtsApiDocs;
import dev.switchback.activities.dts.DtsClients;
import dev.switchback.activities.dts.DtsProvider;
import dev.switchback.activities.dts.SimulatedDts;
import dev.switchback.activities.dts.SimulatedDts.Call;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.Thresholds;
import dev.switchback.plan.ValidationSpec;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.Wiring;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole Cutover workflow with DTS as the migration instance (issue 4): the real worker wiring
 * ({@link Wiring}) on the port-bound embedded Temporal server, the real {@link DtsProvider} and
 * official SDK talking to {@link SimulatedDts} (the documented DTS OpenAPI as a state machine), and
 * the lab's two MariaDB servers as source (3307) and destination (3308), so preflight, the fence
 * (read_only), the session check, unfence and the migration account's revoke act on real servers.
 * The simulated forward task drains only once the real source is read-only, and a reverse writer
 * that finds the source read-only fails, as DTS writing through an ordinary account would.
 */
class DtsCutoverEndToEndTest {
  static final String SOURCE = "jdbc:mariadb://127.0.0.1:3307/";
  static final String DESTINATION = "jdbc:mariadb://127.0.0.1:3308/";
  static final String DB = "sbdts_shop";
  static final String APP = "sbdts_app";
  static final String APP_PASSWORD = "sbdts-app-pw-41c7";
  static final String MIGRATOR = "sbdts_migrator";
  static final String WINDOW = "3s";

  /** Actions that may name the forward task once it is paused: none of them resumes it. */
  static final Set<String> AFTER_PAUSE =
      Set.of(
          "DescribeDtsJobDetail",
          "DescribeDtsJobs",
          "DescribeDataCheckTableDetails",
          "DescribeDataCheckTableDiffDetails",
          "CreateReverseDtsJob",
          "StopDtsJob",
          "DeleteDtsJob");

  private static Connections connections;
  private static SwitchbackWorker worker;

  private Probe sourceProbe;
  private Probe destinationProbe;
  private SimulatedDts dts;
  private Connection application;

  @BeforeAll
  static void startWorker() {
    for (String url : List.of(SOURCE, DESTINATION)) {
      try (Connection c = admin(url)) {
        c.isValid(2);
      } catch (SQLException e) {
        fail(
            "start the lab: deploy/lab/lab.sh start mariadb (" + url + ": " + e.getMessage() + ")");
      }
    }
    connections = new Connections(new Secrets());
    // The worker's own registry, with the DTS provider given a fixed test AccessKey instead of the
    // credential chain: the key lives in the worker, never in the plan or the history.
    Registry registry =
        Wiring.registry()
            .provider(
                new DtsProvider(
                    DtsClients.fromAccessKey(
                        DtsApiDocs.ACCESS_KEY_ID, DtsApiDocs.ACCESS_KEY_SECRET),
                    Clock.systemUTC()));
    worker =
        SwitchbackWorker.start(
            new SwitchbackWorker.Options(
                null, true, "127.0.0.1", 0, 0, Duration.ofSeconds(10), Duration.ofSeconds(10)),
            Wiring.workflowTypes(),
            Wiring.activities(registry, connections),
            List.of(connections));
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  @BeforeEach
  void prepareLab() throws Exception {
    for (String url : List.of(SOURCE, DESTINATION)) {
      try (Connection c = admin(url)) {
        assertEquals(
            "0",
            one(c, "SELECT @@GLOBAL.read_only"),
            url
                + " is read_only before the test: another test holds the lab's fence, or a"
                + " finished demo left it (deploy/lab/lab.sh start mariadb lifts a demo's); wait"
                + " for the test or lift it (SET GLOBAL read_only=OFF)");
      }
    }
    dropScratch();
    for (String url : List.of(SOURCE, DESTINATION)) {
      try (Connection c = admin(url)) {
        // Outside the binary log: no replication channel of another test carries any of this.
        exec(c, "SET SESSION sql_log_bin = 0");
        exec(c, "CREATE DATABASE " + DB);
        exec(
            c,
            "CREATE TABLE "
                + DB
                + ".orders (id int PRIMARY KEY, order_no varchar(20) NOT NULL,"
                + " amount decimal(10,2))");
        // What the forward migration already copied: the same rows on both sides.
        exec(
            c,
            "INSERT INTO "
                + DB
                + ".orders VALUES (1, 'A-1', 10.00), (2, 'A-2', 20.50), (3, 'A-3', 7.25)");
        exec(c, "CREATE USER '" + APP + "'@'%' IDENTIFIED BY '" + APP_PASSWORD + "'");
        exec(c, "GRANT SELECT, INSERT, UPDATE, DELETE ON " + DB + ".* TO '" + APP + "'@'%'");
        exec(c, "CREATE USER '" + MIGRATOR + "'@'%' IDENTIFIED BY 'not-used-by-switchback'");
        exec(c, "GRANT SELECT, INSERT, UPDATE, DELETE ON " + DB + ".* TO '" + MIGRATOR + "'@'%'");
      }
    }
    sourceProbe = new Probe(SOURCE);
    destinationProbe = new Probe(DESTINATION);
    dts = new SimulatedDts(sourceProbe::readOnly, destinationProbe::readOnly);
    // The application is still writing when the cutover starts: an open write transaction on
    // the source that the fence must end.
    application = login(SOURCE + DB, APP, APP_PASSWORD);
    application.setAutoCommit(false);
    exec(application, "INSERT INTO orders VALUES (100, 'open-at-fence', 1.00)");
  }

  @AfterEach
  void restoreLab() throws Exception {
    try {
      if (application != null) {
        application.close();
      }
      if (dts != null) {
        dts.close();
      }
    } finally {
      if (sourceProbe != null) {
        sourceProbe.close();
      }
      if (destinationProbe != null) {
        destinationProbe.close();
      }
      // A rollback leaves the destination fenced (the report says so); a failed run may leave
      // either side fenced. The lab goes back to both writable.
      for (String url : List.of(SOURCE, DESTINATION)) {
        try (Connection c = admin(url)) {
          exec(c, "SET GLOBAL read_only = OFF");
        }
      }
      dropScratch();
    }
  }

  @Test
  void dtsCutoverEndsCompletedWithTheFenceLiftedBeforeTheReverseWriterStarts() throws Exception {
    dts.fullDataCheck(DB, "orders", 3, 0);
    CutoverPlan plan = plan("sbdts-cutover", false);

    CutoverReport report = run(plan);

    assertEquals(Outcome.COMPLETED, report.outcome(), report.reason() + "\n" + steps(report));
    assertEquals(Side.DESTINATION, report.applicationTarget());
    assertStepsInOrder(
        report,
        "preflight",
        "catchUp",
        "gate:quiesce",
        "quiesceApplication",
        "fenceWrites",
        "checkSessions",
        "awaitDrained",
        "pauseInstance",
        "unfenceSourceForReverse",
        "startReverseIncremental",
        "gate:switch",
        "pointApplication",
        "resumeApplication",
        "runTests",
        "validateData",
        "gate:finalize",
        "terminateReverseInstance",
        "terminateForwardInstance",
        "revokeMigrationAccount");
    assertFenceAndDrainOnTheRealSource(report);
    assertTrue(report.tests().passed(), report.tests().toString());
    assertEquals(
        "DTS data verification of job " + dts.forwardJobId() + ": 1 tables consistent",
        result(report, "dts-data-verification").detail());
    assertTrue(report.validation().passed(), report.validation().detail());

    List<Call> calls = dts.calls();
    assertReverseCreatedOnceAndStartedAfterTheFenceLifted(calls, plan);
    int suspend = only(calls, "SuspendDtsJob", dts.forwardJobId()).seq();
    // Finalize: the reverse instance first, then the forward one, each stopped and released.
    int stopReverse = only(calls, "StopDtsJob", dts.reverseJobId()).seq();
    int deleteReverse = only(calls, "DeleteDtsJob", dts.reverseJobId()).seq();
    int stopForward = only(calls, "StopDtsJob", dts.forwardJobId()).seq();
    int deleteForward = only(calls, "DeleteDtsJob", dts.forwardJobId()).seq();
    assertTrue(
        suspend < stopReverse
            && stopReverse < deleteReverse
            && deleteReverse < stopForward
            && stopForward < deleteForward,
        "finalize order: " + actions(calls));
    assertEquals("released", dts.forwardStatus());
    assertEquals("released", dts.reverseStatus());
    assertForwardNeverResumed(calls, AFTER_PAUSE);
    assertEveryRequestDocumentedAndSigned();

    // The real servers: the fence ended the application's open write transaction, the source is
    // writable again (lifted for the reverse writer), and the migration account lost its writes.
    assertThrows(SQLException.class, application::commit, "the fence ended the open transaction");
    try (Connection c = admin(SOURCE)) {
      assertEquals("0", one(c, "SELECT COUNT(*) FROM " + DB + ".orders WHERE id = 100"));
      assertEquals("0", one(c, "SELECT @@GLOBAL.read_only"));
    }
    for (String url : List.of(SOURCE, DESTINATION)) {
      try (Connection c = admin(url)) {
        assertEquals("0", one(c, "SELECT @@GLOBAL.read_only"), url);
        assertEquals(
            "SELECT",
            one(
                c,
                "SELECT GROUP_CONCAT(PRIVILEGE_TYPE ORDER BY PRIVILEGE_TYPE) FROM"
                    + " information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = \"'"
                    + MIGRATOR
                    + "'@'%'\" AND TABLE_SCHEMA = '"
                    + DB
                    + "'"),
            "revokeMigrationAccount left the migration account only SELECT on " + url);
      }
    }
  }

  @Test
  void failedSmokeTestRollsBackWithTheReverseInstanceAndNeverResumesTheForwardOne()
      throws Exception {
    // DTS's own data verification found two inconsistent rows as well.
    dts.fullDataCheck(DB, "orders", 3, 2);
    CutoverPlan plan = plan("sbdts-rollback", true);

    CutoverReport report = run(plan);

    assertEquals(Outcome.ROLLED_BACK, report.outcome(), report.reason() + "\n" + steps(report));
    assertTrue(report.reason().contains("orders-have-currency"), report.reason());
    TestResult dtsCheck = result(report, "dts-data-verification");
    assertFalse(dtsCheck.passed());
    assertEquals(
        "full check of " + DB + ".orders: 2 inconsistent rows", dtsCheck.detail(), "DTS's count");
    assertTrue(report.reason().contains("2 inconsistent rows"), report.reason());
    assertEquals("switchback", report.requestedBy());
    assertEquals(Side.SOURCE, report.applicationTarget());
    assertFalse(report.tests().passed());
    assertTrue(
        report.timeline().stream()
            .anyMatch(e -> e.step().equals("runTests") && e.outcome().equals("FAILED")),
        steps(report));
    // DESIGN.md section 2: after the switch a rollback is the cutover run the other way.
    assertStepsInOrder(
        report,
        "fenceWrites",
        "checkSessions",
        "awaitDrained",
        "pauseInstance",
        "unfenceSourceForReverse",
        "startReverseIncremental",
        "pointApplication",
        "resumeApplication",
        "quiesceApplication",
        "fenceDestination",
        "checkSessionsOnDestination",
        "awaitReverseDrained",
        "syncSequencesBack",
        "terminateReverseInstance",
        "pointApplicationToSource",
        "resumeApplication",
        "endForwardInstance");
    assertFenceAndDrainOnTheRealSource(report);
    assertTrue(
        report.manualActions().stream()
            .anyMatch(a -> a.contains(dts.forwardJobId()) && a.contains("is now ended")),
        report.manualActions().toString());

    List<Call> calls = dts.calls();
    assertReverseCreatedOnceAndStartedAfterTheFenceLifted(calls, plan);
    // The reverse instance drained under the real destination fence, then was ended; the paused
    // forward one is never resumed (no StartDtsJob names it) and is ended once the application
    // is back on the source, so it holds nothing and costs nothing.
    int stopReverse = only(calls, "StopDtsJob", dts.reverseJobId()).seq();
    int stopForward = only(calls, "StopDtsJob", dts.forwardJobId()).seq();
    assertTrue(stopReverse < stopForward, "the forward task is ended last");
    only(calls, "DeleteDtsJob", dts.forwardJobId());
    only(calls, "DeleteDtsJob", dts.reverseJobId());
    assertTrue(
        calls.stream()
            .anyMatch(
                c ->
                    c.seq() < stopReverse
                        && c.action().equals("DescribeDtsJobDetail")
                        && dts.reverseJobId().equals(c.jobId())
                        && c.destinationReadOnly()
                        && "Synchronizing".equals(c.reverseStatus())),
        "the reverse instance was watched while the destination was fenced");
    assertForwardNeverResumed(
        calls,
        Set.of(
            "DescribeDtsJobDetail",
            "DescribeDtsJobs",
            "DescribeDataCheckTableDetails",
            "DescribeDataCheckTableDiffDetails",
            "CreateReverseDtsJob",
            "StopDtsJob",
            "DeleteDtsJob"));
    assertEquals("released", dts.forwardStatus(), "the paused forward task is ended");
    assertEquals("released", dts.reverseStatus());
    assertEveryRequestDocumentedAndSigned();

    // The application is back on a writable source; the destination stays fenced (the report's
    // manual action) until someone lifts it.
    assertThrows(SQLException.class, application::commit, "the fence ended the open transaction");
    try (Connection c = admin(SOURCE)) {
      assertEquals("0", one(c, "SELECT @@GLOBAL.read_only"), "the source fence is lifted");
    }
    try (Connection app = login(SOURCE + DB, APP, APP_PASSWORD)) {
      exec(app, "INSERT INTO orders VALUES (200, 'after-rollback', 3.00)");
    }
    try (Connection c = admin(DESTINATION)) {
      assertEquals("1", one(c, "SELECT @@GLOBAL.read_only"), "the destination stays fenced");
    }
    try (Connection app = login(DESTINATION + DB, APP, APP_PASSWORD)) {
      SQLException e =
          assertThrows(
              SQLException.class,
              () -> exec(app, "INSERT INTO orders VALUES (201, 'stray', 1.00)"));
      assertTrue(e.getMessage().contains("read-only"), e.getMessage());
    }
  }

  // ---------------------------------------------------------------- the run

  private CutoverReport run(CutoverPlan plan) throws Exception {
    WorkflowClient client = worker.client();
    CutoverWorkflow workflow =
        client.newWorkflowStub(
            CutoverWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(plan.workflowId())
                .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                .setWorkflowExecutionTimeout(Duration.ofMinutes(2))
                .build());
    WorkflowClient.start(workflow::run, plan);
    CutoverReport report =
        client
            .newUntypedWorkflowStub(plan.workflowId())
            .getResult(90, TimeUnit.SECONDS, CutoverReport.class);
    // The measured timeline, for the report (surefire keeps it in the -output.txt file).
    System.out.println(
        plan.name() + ": " + report.outcome() + ", write outage " + report.writeOutageMs() + " ms");
    for (TimelineEntry e : report.timeline()) {
      System.out.printf(
          "  %-28s %-8s %6d ms  %s%n",
          e.step(),
          e.outcome(),
          e.endedAtMillis() - e.startedAtMillis(),
          e.detail() == null ? "" : e.detail());
    }
    // Invariant 4: no secret reaches workflow history. The payloads are searched decoded; the
    // plan's own values being found there shows the search looks where the data is.
    StringBuilder payloads = new StringBuilder();
    for (HistoryEvent e : client.fetchHistory(plan.workflowId()).getEvents()) {
      collectPayloads(e, payloads);
    }
    String history = payloads.toString();
    assertTrue(history.contains(dts.forwardJobId()) && history.contains(APP), "payloads decoded");
    assertFalse(history.contains(DtsApiDocs.ACCESS_KEY_SECRET), "the DTS secret is in history");
    assertFalse(history.contains(APP_PASSWORD), "a database password is in history");
    return report;
  }

  /** Every Temporal payload inside {@code m}, as the text it carries. */
  private static void collectPayloads(Message m, StringBuilder out) {
    if (m instanceof Payload p) {
      out.append(p.getData().toStringUtf8()).append('\n');
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
      if (f.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      Iterable<?> values = f.getKey().isRepeated() ? (List<?>) f.getValue() : List.of(f.getValue());
      for (Object v : values) {
        collectPayloads((Message) v, out);
      }
    }
  }

  private CutoverPlan plan(String name, boolean failingSmokeTest) {
    List<TestSpec> tests = new ArrayList<>();
    tests.add(
        new TestSpec(
            "orders-were-migrated",
            "sql",
            "SELECT COUNT(*) FROM orders",
            null,
            "3",
            null,
            "destination",
            "10s"));
    if (failingSmokeTest) {
      // A real failure on the real destination: the application's new code expects a column
      // the migration did not create.
      tests.add(
          new TestSpec(
              "orders-have-currency",
              "sql",
              "SELECT currency FROM orders LIMIT 1",
              null,
              null,
              null,
              "destination",
              "10s"));
    }
    // DTS's own data verification of the forward job, read after the switch.
    tests.add(
        new TestSpec(
            "dts-data-verification", "dts-data-check", null, null, null, null, null, "30s"));
    GateSpec auto = new GateSpec("auto", null, null);
    return new CutoverPlan(
            name,
            new MigrationSpec(
                "dts",
                dts.forwardJobId(),
                null,
                Map.of(
                    "regionId",
                    SimulatedDts.REGION,
                    "endpoint",
                    dts.endpoint(),
                    "dtsInstanceId",
                    dts.forwardInstanceId())),
            new EndpointSpec("mariadb", SOURCE + DB, "root", null, List.of(APP), null),
            new EndpointSpec("mariadb", DESTINATION + DB, "root", null, List.of(APP), null),
            new MigrationAccountSpec(MIGRATOR, null, true),
            RouterSpec.manual(),
            // The seed's stability window, shortened: latency 0, then 3 s within 2 s.
            new Thresholds("5s", "30s", "30s", WINDOW, "2s", "10s", "30s"),
            new GatesSpec(auto, auto, auto),
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            tests,
            new ValidationSpec(List.of("orders"), "full", true),
            "0s")
        .withDefaults();
  }

  // ---------------------------------------------------------------- assertions

  private static TestResult result(CutoverReport report, String test) {
    return report.tests().results().stream()
        .filter(r -> r.name().equals(test))
        .findFirst()
        .orElseThrow(() -> new AssertionError(test + " not in " + report.tests()));
  }

  /**
   * The real source was read-only while the forward instance drained: the simulated DTS reported
   * latency 0 only then, and the stability window ran its full length on top.
   */
  private void assertFenceAndDrainOnTheRealSource(CutoverReport report) {
    TimelineEntry fence = entry(report, "fenceWrites");
    assertTrue(fence.detail().contains("read_only=ON"), fence.detail());
    assertTrue(fence.detail().contains("1 session(s) ended"), fence.detail());
    assertTrue(entry(report, "checkSessions").detail().startsWith("no application writer"));
    TimelineEntry drain = entry(report, "awaitDrained");
    assertTrue(drain.detail().startsWith("stability-window"), drain.detail());
    assertTrue(
        drain.endedAtMillis() - drain.startedAtMillis() >= Durations.parse(WINDOW).toMillis(),
        "the stability window ran " + WINDOW + ": " + drain);
    List<Call> calls = dts.calls();
    int suspend = only(calls, "SuspendDtsJob", dts.forwardJobId()).seq();
    long watchedFenced =
        calls.stream()
            .filter(
                c ->
                    c.seq() < suspend
                        && c.action().equals("DescribeDtsJobDetail")
                        && dts.forwardJobId().equals(c.jobId())
                        && c.sourceReadOnly())
            .count();
    assertTrue(watchedFenced > 10, "forward polls under the real fence: " + watchedFenced);
    assertTrue(
        calls.stream()
            .filter(c -> c.seq() < suspend && c.action().equals("DescribeDtsJobDetail"))
            .anyMatch(c -> !c.sourceReadOnly()),
        "before the fence the source took writes (preflight and catch-up saw it writable)");
  }

  /**
   * The seed's order for DTS: pause, lift the source fence (DTS writes as an ordinary client, so
   * MigrationSpec.reverseWritesThroughFence() is false), then create and start the reverse
   * instance, exactly once.
   */
  private void assertReverseCreatedOnceAndStartedAfterTheFenceLifted(
      List<Call> calls, CutoverPlan plan) {
    assertEquals(List.of(), dts.violations());
    int suspend = only(calls, "SuspendDtsJob", dts.forwardJobId()).seq();
    Call create = only(calls, "CreateReverseDtsJob", dts.forwardJobId());
    Call rename = only(calls, "ModifyDtsJobName", dts.reverseJobId());
    Call start = only(calls, "StartReverseWriter", dts.reverseJobId());
    assertEquals(plan.migration().reverseInstance(), rename.params().get("DtsJobName"));
    assertTrue(
        suspend < create.seq() && create.seq() < rename.seq() && rename.seq() < start.seq(),
        "pause, create, name, start: " + actions(calls));
    assertEquals("Suspending", create.forwardStatus(), "the reverse is created after the pause");
    assertFalse(create.sourceReadOnly(), "the source fence is lifted before the reverse instance");
    assertFalse(start.sourceReadOnly(), "the reverse writer starts on a writable source");
    assertFalse(start.params().containsKey("CheckPoint"), "DTS's saved pause checkpoint is used");
    assertTrue(
        calls.stream()
            .anyMatch(
                c ->
                    c.seq() > start.seq()
                        && dts.reverseJobId().equals(c.jobId())
                        && "Synchronizing".equals(c.reverseStatus())),
        "the reverse instance ran");
  }

  /** The seed: a paused instance is never resumed. */
  private void assertForwardNeverResumed(List<Call> calls, Set<String> allowedAfterPause) {
    List<Call> resumes =
        calls.stream().filter(c -> DtsApiDocs.RESUMING_ACTIONS.contains(c.action())).toList();
    assertEquals(List.of(), resumes, "StartDtsJob resumes a paused task");
    int suspend = only(calls, "SuspendDtsJob", dts.forwardJobId()).seq();
    List<String> after =
        calls.stream()
            .filter(c -> c.seq() > suspend && dts.forwardJobId().equals(c.jobId()))
            .map(Call::action)
            .filter(a -> !allowedAfterPause.contains(a))
            .toList();
    assertEquals(List.of(), after, "calls on the paused forward task");
  }

  /** Every request the simulated DTS received, checked as a real endpoint would see it. */
  private void assertEveryRequestDocumentedAndSigned() throws Exception {
    List<Request> requests = dts.requests();
    List<Call> calls = dts.calls();
    assertEquals(calls.size(), requests.size());
    for (Request r : requests) {
      DtsApiDocs.assertDocumented(r);
      DtsApiDocs.assertSignedV3(r);
    }
    // DTS refused nothing but a look at a task Switchback had already released.
    for (Call c : calls) {
      if (c.httpStatus() != 200) {
        boolean released =
            (dts.forwardJobId().equals(c.jobId()) && "released".equals(c.forwardStatus()))
                || (dts.reverseJobId().equals(c.jobId()) && "released".equals(c.reverseStatus()));
        assertTrue(c.action().equals("DescribeDtsJobDetail") && released, "DTS refused " + c);
      }
    }
  }

  private static Call only(List<Call> calls, String action, String jobId) {
    List<Call> found =
        calls.stream().filter(c -> c.action().equals(action) && jobId.equals(c.jobId())).toList();
    assertEquals(1, found.size(), action + " " + jobId + " once: " + actions(calls));
    return found.get(0);
  }

  private static String actions(List<Call> calls) {
    // Polls collapsed, so the sequence of decisions reads at a glance.
    List<String> out = new ArrayList<>();
    for (Call c : calls) {
      String a = c.action() + "(" + c.jobId() + ")";
      if (out.isEmpty() || !out.get(out.size() - 1).equals(a)) {
        out.add(a);
      }
    }
    return String.join(" ", out);
  }

  private static void assertStepsInOrder(CutoverReport report, String... steps) {
    Timelines.assertStepsInOrder(report.timeline(), () -> steps(report), steps);
  }

  private static TimelineEntry entry(CutoverReport report, String step) {
    return report.timeline().stream()
        .filter(e -> e.step().equals(step))
        .findFirst()
        .orElseThrow(() -> new AssertionError(step + " not in " + steps(report)));
  }

  private static String steps(CutoverReport report) {
    return report.timeline().stream()
        .map(
            e -> e.step() + "=" + e.outcome() + (e.detail() == null ? "" : " (" + e.detail() + ")"))
        .collect(Collectors.joining("\n"));
  }

  // ---------------------------------------------------------------- the lab

  /** The scratch database and accounts gone (also what a killed earlier run left). */
  private static void dropScratch() throws SQLException {
    for (String url : List.of(SOURCE, DESTINATION)) {
      try (Connection c = admin(url)) {
        exec(c, "SET SESSION sql_log_bin = 0");
        exec(c, "DROP DATABASE IF EXISTS " + DB);
        exec(c, "DROP USER IF EXISTS '" + APP + "'@'%'");
        exec(c, "DROP USER IF EXISTS '" + MIGRATOR + "'@'%'");
      }
    }
  }

  /** What the simulated DTS sees of one server: is it refusing ordinary clients' writes. */
  private static final class Probe implements AutoCloseable {
    private final Connection c;

    Probe(String url) throws SQLException {
      c = admin(url);
    }

    synchronized boolean readOnly() {
      try {
        return "1".equals(one(c, "SELECT @@GLOBAL.read_only"));
      } catch (SQLException e) {
        throw new IllegalStateException("cannot read @@read_only: " + e.getMessage(), e);
      }
    }

    @Override
    public synchronized void close() throws SQLException {
      c.close();
    }
  }

  static Connection admin(String url) throws SQLException {
    return login(url, "root", null);
  }

  static Connection login(String url, String user, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.setProperty("connectTimeout", "5000");
    return DriverManager.getConnection(url, p);
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static String one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
