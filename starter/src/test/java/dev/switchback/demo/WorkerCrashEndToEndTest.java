package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Kill -9 of the worker process in the middle of a cutover, while the reverse instance is being
 * started, then a new worker process against the same Temporal server: the cutover finishes
 * correctly, the reverse instance is created once (the activity is idempotent, keyed by the
 * workflow id), and no acknowledged write is lost.
 */
class WorkerCrashEndToEndTest {

  @Test
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
      OrdersApp app =
          OrdersApp.start(
              OrdersApp.Config.of(lab.application(Side.SOURCE), lab.application(Side.DESTINATION))
                  .withRate(4, 200));
      try {
        CutoverPlan plan =
            PlanValidator.validate(
                lab.plan(
                    new DemoOptions("postgres", false, false, "alice", 200, 4, "3s", 0),
                    app.routerUrl()));
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
        Set<String> seen = awaitReverseSubscription(plan.migration().reverseInstance(), 120_000);
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
          assertEquals(Set.of(plan.migration().reverseInstance()), seen);
          long reverseStarts =
              report.timeline().stream()
                  .filter(e -> e.step().equals("startReverseIncremental"))
                  .filter(e -> e.outcome().equals("OK"))
                  .count();
          assertEquals(1, reverseStarts, timeline(report.timeline()));
          Thread.sleep(500);
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

  /** A worker in its own JVM, so it can be killed like a real process. */
  private static Process worker(String address, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    File log = File.createTempFile("switchback-worker-" + name + "-", ".log");
    System.out.println("worker " + name + " log: " + log);
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            "dev.switchback.cli.SwitchbackCli",
            "worker",
            "--address",
            address,
            "--metrics-port",
            "0")
        .redirectErrorStream(true)
        .redirectOutput(log)
        .start();
  }

  private static Set<String> awaitReverseSubscription(String name, long timeoutMs)
      throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      Set<String> names = new HashSet<>();
      try (Connection c =
              DriverManager.getConnection(
                  "jdbc:postgresql://127.0.0.1:5433/switchback_demo", "postgres", null);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT subname FROM pg_subscription")) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
      if (names.contains(name)) {
        return names;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("the reverse subscription " + name + " never appeared on the source");
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
