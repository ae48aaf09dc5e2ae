package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.Thresholds;
import dev.switchback.worker.EmbeddedServer;
import dev.switchback.worker.SwitchbackSearchAttributes;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's fault suite: for each phase of a cutover (catch-up, quiesce, drain, reverse start,
 * switch, tests, soak, finalize) on PostgreSQL and MariaDB, stop a database server and start it
 * again, kill -9 the worker, or make a step slower than the 10 s heartbeat timeout, while the demo
 * application writes all the time. Every cell must end in a safe state: completed (the fault was
 * survivable: a killed worker or a slow step never rolls a healthy cutover back), or rolled back to
 * a consistent, fenced state (a stopped server may do that), with no acknowledged write lost or
 * duplicated and nothing left behind that the outcome does not call for.
 *
 * <p>It runs on its own lab servers ({@code deploy/lab/faults.sh}: PostgreSQL 5435/5436, MariaDB
 * 3309/3310), since it stops them. Every cell runs, the table is printed (and written to {@code
 * target/fault-suite.md}) whatever happens, then the test fails listing the cells that were not
 * safe. Select cells with {@code -Dswitchback.faults.engines=postgres}, {@code
 * -Dswitchback.faults.stages=tests,finalize}, {@code -Dswitchback.faults.faults=slow-step}.
 */
class FaultSuiteTest {
  private static final String APPROVER = "alice";

  @TempDir Path tmp;

  @Test
  @Timeout(value = 45, unit = TimeUnit.MINUTES)
  void everyFaultInEveryPhaseEndsSafeWithNoRowLostOrDuplicated() throws Exception {
    List<FaultCell> cells = FaultCell.selected();
    if (cells.isEmpty()) {
      fail("no cell selected: see -Dswitchback.faults.engines/stages/faults");
    }
    Path repository = CutoverEndToEndTest.repository();
    startLab(repository);
    FaultTable table = new FaultTable();
    long started = System.nanoTime();
    // One lane per engine, side by side: each has its own servers, Temporal server and worker, so
    // a fault in one lane never touches the other, and the suite takes half the time.
    Map<String, List<FaultCell>> lanes = new LinkedHashMap<>();
    cells.forEach(c -> lanes.computeIfAbsent(c.engine(), e -> new ArrayList<>()).add(c));
    ExecutorService pool = Executors.newFixedThreadPool(lanes.size());
    try {
      List<Future<?>> running = new ArrayList<>();
      for (List<FaultCell> lane : lanes.values()) {
        running.add(pool.submit(() -> runLane(lane, repository, table)));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      String md =
          table.markdown(cells)
              + "\n"
              + table.failed().size()
              + " of "
              + cells.size()
              + " cell(s) not safe; "
              + seconds
              + " s in all\n";
      System.out.println("\nFault suite:\n" + md);
      Path out = Path.of("target", "fault-suite.md");
      Files.createDirectories(out.getParent());
      Files.writeString(out, md);
    }
    List<FaultTable.Row> failed = table.failed();
    if (!failed.isEmpty()) {
      fail(
          table.markdown(cells)
              + "\n"
              + failed.size()
              + " cell(s) did not end safe:\n"
              + String.join(
                  "\n",
                  failed.stream()
                      .map(r -> r.cell().name() + ": " + String.join("; ", r.problems()))
                      .toList()));
    }
  }

  private Void runLane(List<FaultCell> lane, Path repository, FaultTable table) throws Exception {
    FaultLab lab =
        lane.get(0).engine().equals("postgres")
            ? new PostgresFaultLab()
            : new MariaDbFaultLab(Files.createTempDirectory(tmp, "mariadb"));
    try (EmbeddedServer server = EmbeddedServer.start("127.0.0.1", 0);
        WorkerProcess worker = new WorkerProcess(server.clientAddress())) {
      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newServiceStubs(
              WorkflowServiceStubsOptions.newBuilder().setTarget(server.clientAddress()).build());
      try {
        SwitchbackSearchAttributes.ensure(stubs, "default");
        WorkflowClient client = WorkflowClient.newInstance(stubs);
        for (FaultCell cell : lane) {
          worker.ensureRunning();
          System.out.println("=== fault cell: " + cell.name());
          FaultTable.Row row = new FaultRun(cell, lab, repository, client, worker).run();
          System.out.println("=== " + cell.name() + ": " + row);
          table.add(row);
        }
      } finally {
        stubs.shutdownNow();
      }
    }
    return null;
  }

  private static void startLab(Path repository) throws Exception {
    Process p =
        new ProcessBuilder("bash", repository.resolve("deploy/lab/faults.sh").toString(), "start")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      fail("deploy/lab/faults.sh start failed:\n" + out);
    }
  }

  /** The plan of a cell: the demo's, with gates, tests, soak and thresholds for the cell. */
  static CutoverPlan plan(FaultCell cell, FaultLab lab, String routerUrl, String signingKey) {
    CutoverPlan base =
        lab.demo()
            .plan(
                new DemoOptions(lab.engine(), false, false, APPROVER, 100, 2, "0s", 0),
                routerUrl,
                signingKey);
    GateSpec auto = new GateSpec("auto", null, null);
    GateSpec held = new GateSpec("approval", null, null);
    GatesSpec gates =
        new GatesSpec(
            cell.stage() == FaultCell.Stage.DRAIN ? held : auto,
            auto,
            cell.stage() == FaultCell.Stage.FINALIZE ? held : auto);
    String testSql = "SELECT count(*) > 0 FROM orders";
    String expect = lab.engine().equals("postgres") ? "t" : "1";
    if (cell.stage() == FaultCell.Stage.TESTS) {
      // The smoke test holds the phase: long enough to inject the fault into, or the slow step.
      testSql =
          lab.sleepSql(cell.fault() == FaultCell.Fault.SLOW_STEP ? FaultCell.SLOW_SECONDS : 4);
      expect = lab.sleepResult();
    }
    String soak =
        cell.stage() != FaultCell.Stage.SOAK
            ? "0s"
            : cell.fault() == FaultCell.Fault.SLOW_STEP ? (FaultCell.SLOW_SECONDS + 5) + "s" : "8s";
    return lab.adjust(
        new CutoverPlan(
            cell.planName(),
            base.migration(),
            base.source(),
            base.destination(),
            base.migrationAccount(),
            new RouterSpec("webhook", routerUrl, null, "30s", signingKey),
            new Thresholds("2s", "2m", "1m", "2m", "2s", "30s", "1m"),
            gates,
            ApproverSpec.names(APPROVER),
            CutoverPlan.UNSIGNED,
            List.of(
                new TestSpec("smoke", "sql", testSql, null, expect, null, "destination", "30s")),
            null,
            soak));
  }

  /** Approves {@code gate} by signal (the server takes it even while no worker runs). */
  static void approve(CutoverWorkflow workflow, String gate) {
    workflow.approve(new ApproveRequest(gate, APPROVER, "fault suite"));
  }

  /** Polls the status query until {@code condition} holds; null when the workflow ended first. */
  static CutoverStatus awaitStatus(
      CutoverWorkflow workflow, Predicate<CutoverStatus> condition, String what, int seconds)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    CutoverStatus last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = workflow.status();
        if (condition.test(last)) {
          return last;
        }
        if (last.outcome() != null) {
          throw new IllegalStateException(
              "the cutover ended " + last.outcome() + " before " + what + ": " + last.reason());
        }
      } catch (io.temporal.client.WorkflowQueryException | io.grpc.StatusRuntimeException e) {
        // the first workflow task may not have run yet, or a new worker warms up
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(
        "no "
            + what
            + " within "
            + seconds
            + " s (phase "
            + (last == null ? "?" : last.phase())
            + ")");
  }

  /** Waits until the forward instance is more than {@code ms} behind. */
  static void awaitForwardLatencyAbove(FaultLab lab, CutoverPlan plan, Connections c, long ms)
      throws Exception {
    MigrationContext ctx = new MigrationContext(plan.workflowId(), plan, c);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    InstanceState s = null;
    while (System.nanoTime() < deadline) {
      s = lab.provider().describe(ctx, Direction.FORWARD);
      if (s.latencyMs() != null && s.latencyMs() > ms) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the forward instance never fell " + ms + " ms behind: " + s);
  }

  /** The cutover's report, or null when it did not end within {@code seconds}. */
  static CutoverReport awaitReport(CutoverWorkflow workflow, int seconds) throws Exception {
    CompletableFuture<CutoverReport> result =
        WorkflowStub.fromTyped(workflow).getResultAsync(CutoverReport.class);
    try {
      return result.get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException stillRunning) {
      return null;
    }
  }

  static CutoverWorkflow start(WorkflowClient client, CutoverPlan plan) {
    CutoverWorkflow workflow =
        client.newWorkflowStub(
            CutoverWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(plan.workflowId())
                .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                .setWorkflowRunTimeout(Duration.ofMinutes(10))
                .build());
    WorkflowClient.start(workflow::run, plan);
    return workflow;
  }

  static CutoverPlan validated(CutoverPlan plan) {
    return PlanValidator.validate(plan);
  }

  static Connections connections() {
    // The labs write their secret files under the temporary directory: the demo's scope.
    return new Connections(new Secrets(System.getenv(), Demo.scope()));
  }
}
