package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import dev.switchback.worker.EmbeddedServer;
import dev.switchback.worker.SwitchbackSearchAttributes;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kill -9 of the worker process in the middle of a cutover, while the reverse instance is being
 * started, then a new worker process against the same Temporal server: the cutover finishes
 * correctly, the reverse instance is created once (the activity is idempotent, keyed by the
 * workflow id), and no acknowledged write is lost.
 */
class WorkerCrashEndToEndTest {

  // Two worker JVMs and a whole cutover: 64 s measured on this 2-core machine (2026-12-03), over
  // the 2-minute default under another build's load.
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void killedWorkerMidCutoverIsReplacedAndTheCutoverFinishesWithOneReverseInstance()
      throws Exception {
    PostgresDemoLab lab = new PostgresDemoLab();
    lab.startServers(CutoverEndToEndTest.repository(), System.out);
    try (EmbeddedServer server = EmbeddedServer.start("127.0.0.1", 0);
        Connections connections = new Connections(new Secrets())) {
      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget(server.clientAddress()).build());
      SwitchbackSearchAttributes.ensure(stubs, "default");
      WorkflowClient client = WorkflowClient.newInstance(stubs);
      lab.prepare(connections);
      recordSubscriptionCreations();
      OrdersApp app =
          OrdersApp.start(
              OrdersApp.Config.of(lab.application(Side.SOURCE), lab.application(Side.DESTINATION))
                  .withRate(4, 200));
      try {
        CutoverPlan plan =
            PlanValidator.validate(
                lab.plan(
                    new DemoOptions("postgres", false, false, "alice", 200, 4, "3s", 0),
                    app.routerUrl(),
                    app.routerSigningKey()));
        lab.createForward(connections, plan, System.out);

        Process first = worker(server.clientAddress(), "first");
        CutoverWorkflow workflow =
            client.newWorkflowStub(
                CutoverWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(plan.workflowId())
                    .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                    .build());
        WorkflowClient.start(workflow::run, plan);

        // The moment the reverse subscription exists the startReverseIncremental activity is in
        // flight (it waits for Running): kill the worker there, without any chance to clean up.
        awaitReverseSubscription(plan.migration().reverseInstance(), 120_000);
        first.destroyForcibly();
        assertTrue(first.waitFor(10, TimeUnit.SECONDS), "worker did not die");
        assertEquals(137, first.exitValue(), "the worker was killed with SIGKILL");

        Process second = worker(server.clientAddress(), "second");
        try {
          var pending = WorkflowStub.fromTyped(workflow).getResultAsync(CutoverReport.class);
          long deadline = System.currentTimeMillis() + 300_000;
          while (!pending.isDone() && System.currentTimeMillis() < deadline) {
            try {
              pending.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException stillRunning) {
              try {
                var st = workflow.status();
                System.out.println("phase " + st.phase() + ": " + timeline(st.timeline()));
              } catch (RuntimeException queryFailed) {
                // Progress only: a query can fail while the new worker warms up (it is retried).
                System.out.println("status query failed: " + queryFailed);
              }
            }
          }
          CutoverReport report = pending.get(1, TimeUnit.SECONDS);
          assertEquals(Outcome.COMPLETED, report.outcome(), report.reason());
          assertEquals(
              1,
              count(
                  5433,
                  "SELECT count(*) FROM sb_test_subscription_creations WHERE name = '"
                      + plan.migration().reverseInstance()
                      + "'"),
              "CREATE SUBSCRIPTION of the reverse instance, as the source recorded it");
          long reverseStarts =
              report.timeline().stream()
                  .filter(e -> e.step().equals("startReverseIncremental"))
                  .filter(e -> e.outcome().equals("OK"))
                  .count();
          assertEquals(1, reverseStarts, timeline(report.timeline()));
          app.close();
          List<String> onDestination = lab.orderNumbers(Side.DESTINATION);
          Set<String> present = new HashSet<>(onDestination);
          assertEquals(onDestination.size(), present.size(), "duplicated rows");
          long lost = app.acknowledgedOrders().stream().filter(o -> !present.contains(o)).count();
          assertEquals(0, lost, "acknowledged writes lost");
          assertEquals(0, app.stats().failed());
          assertEquals(
              0,
              count(
                  5433,
                  "SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"),
              "subscriptions left on the source");
          assertEquals(
              0,
              count(
                  5434,
                  "SELECT count(*) FROM pg_replication_slots WHERE database = 'switchback_demo'"),
              "slots left on the destination");
          assertEquals(
              0,
              count(
                  5433,
                  "SELECT count(*) FROM pg_replication_slots WHERE database = 'switchback_demo'"),
              "slots left on the source");
        } finally {
          second.destroy();
          second.waitFor(30, TimeUnit.SECONDS);
        }
      } finally {
        app.close();
        stubs.shutdownNow();
      }
    }
  }

  /**
   * Records every CREATE SUBSCRIPTION on the source as the server runs it, so the count after the
   * run is the server's, not a value read before the kill: a second creation after the restart
   * (drop and create again) shows as a second row. Unlogged: the forward publication (FOR ALL
   * TABLES) does not carry it, and the demo's next setup drops the database with it.
   */
  private static void recordSubscriptionCreations() throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:5433/switchback_demo", "postgres", null);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE UNLOGGED TABLE sb_test_subscription_creations"
              + " (name text, at timestamptz DEFAULT clock_timestamp())");
      s.execute(
          "CREATE FUNCTION sb_test_record_subscription() RETURNS event_trigger LANGUAGE plpgsql"
              + " AS $$ BEGIN INSERT INTO sb_test_subscription_creations (name)"
              + " SELECT object_identity FROM pg_event_trigger_ddl_commands(); END $$");
      s.execute(
          "CREATE EVENT TRIGGER sb_test_record_subscription ON ddl_command_end"
              + " WHEN TAG IN ('CREATE SUBSCRIPTION')"
              + " EXECUTE FUNCTION sb_test_record_subscription()");
    }
  }

  /** A worker in its own JVM, so it can be killed like a real process. */
  private static Process worker(String address, String name) throws Exception {
    File log = File.createTempFile("switchback-worker-" + name + "-", ".log");
    System.out.println("worker " + name + " log: " + log);
    return WorkerProcess.command(address, log).start();
  }

  private static void awaitReverseSubscription(String name, long timeoutMs) {
    Await.until(
        "the reverse subscription " + name + " on the source",
        Duration.ofMillis(timeoutMs),
        () ->
            count(5433, "SELECT count(*) FROM pg_subscription WHERE subname = '" + name + "'")
                == 1);
  }

  private static long count(int port, String sql) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/switchback_demo", "postgres", null);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String timeline(List<TimelineEntry> t) {
    return t.stream().map(e -> e.step() + ":" + e.outcome()).toList().toString();
  }
}
