package dev.switchback.demo;

import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.TemporalSettings;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * One {@code Cutover} workflow a demo runs: started on the demo's worker, followed step by step on
 * the progress stream (each step once it ended, each gate once it waits), and approved where the
 * demo times a gate itself.
 */
final class DemoCutover {
  private final CutoverWorkflow workflow;
  private final CompletableFuture<CutoverReport> result;
  private final PrintStream progress;
  private final Map<Integer, String> shown = new HashMap<>();
  private String lastGate;

  private DemoCutover(
      CutoverWorkflow workflow, CompletableFuture<CutoverReport> result, PrintStream progress) {
    this.workflow = workflow;
    this.result = result;
    this.progress = progress;
  }

  /**
   * The demo's worker on an embedded Temporal server (the address and port {@code options} name),
   * with no metrics endpoint and the options' payload keys.
   */
  static SwitchbackWorker startWorker(DemoOptions options, PrintStream progress) {
    SwitchbackWorker.Options workerOptions =
        SwitchbackWorker.Options.fromEnvironment(
                Map.of(),
                TemporalSettings.of(TemporalSettings.DEFAULT_ADDRESS, "default"),
                true,
                options.temporalPort())
            .withMetricsPort(0)
            .withPayloadKeys(options.payloadKeys());
    SwitchbackWorker worker = SwitchbackWorker.start(workerOptions, Demo.scope());
    progress.println(
        "temporal: embedded server on "
            + worker.embeddedAddress()
            + ", worker polling task queue switchback");
    return worker;
  }

  /** Starts the workflow for {@code plan}. */
  static DemoCutover start(WorkflowClient client, CutoverPlan plan, PrintStream progress) {
    CutoverWorkflow workflow =
        client.newWorkflowStub(
            CutoverWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(plan.workflowId())
                .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                .build());
    WorkflowClient.start(workflow::run, plan);
    return new DemoCutover(
        workflow, WorkflowStub.fromTyped(workflow).getResultAsync(CutoverReport.class), progress);
  }

  /**
   * Follows the workflow until {@code condition} holds for its status, and returns that status;
   * null when the workflow ended first.
   *
   * @throws TimeoutException when neither happened within {@code timeout}
   */
  CutoverStatus await(Predicate<CutoverStatus> condition, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!result.isDone()) {
      CutoverStatus status = poll();
      if (status != null && condition.test(status)) {
        return status;
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(
            "the cutover did not reach the expected state within "
                + Durations.human(timeout.toMillis()));
      }
      try {
        result.get(300, TimeUnit.MILLISECONDS);
      } catch (TimeoutException pending) {
        // poll again
      } catch (ExecutionException ended) {
        // the workflow failed: awaitResult says how
      }
    }
    return null;
  }

  /** Approves {@code gate} (validated: refused when the gate is not the one pending). */
  void approve(String gate, String by, String comment) {
    workflow.approveGate(new ApproveRequest(gate, by, comment, null));
    progress.println("  ... gate '" + gate + "' approved by " + by + ": " + comment);
  }

  /** Follows the workflow to its end and returns its report. */
  CutoverReport awaitResult(Duration timeout) throws Exception {
    if (await(s -> false, timeout) != null) {
      throw new IllegalStateException("unreachable: the condition never holds");
    }
    CutoverReport report = result.get();
    for (int i = 0; i < report.timeline().size(); i++) {
      String line = line(report.timeline().get(i));
      if (!line.equals(shown.get(i))) {
        progress.println(line);
      }
    }
    return report;
  }

  // Prints the steps that ended since the last poll and the gate that waits, if new.
  private CutoverStatus poll() {
    try {
      CutoverStatus status = workflow.status();
      List<TimelineEntry> timeline = status.timeline();
      for (int i = 0; i < timeline.size(); i++) {
        TimelineEntry e = timeline.get(i);
        String line = line(e);
        if (!"RUNNING".equals(e.outcome()) && !line.equals(shown.get(i))) {
          shown.put(i, line);
          progress.println(line);
        }
      }
      if (status.pendingGate() != null && !status.pendingGate().equals(lastGate)) {
        lastGate = status.pendingGate();
        progress.println("  ... waiting for approval of gate '" + lastGate + "'");
      }
      return status;
    } catch (RuntimeException notYet) {
      // the first workflow task may not have run yet
      return null;
    }
  }

  private static String line(TimelineEntry e) {
    long took =
        Math.max(
            0,
            (e.endedAtMillis() > 0 ? e.endedAtMillis() : e.startedAtMillis())
                - e.startedAtMillis());
    return String.format(
        "  %-28s %-11s %7s  %s",
        e.step(), e.outcome(), Durations.human(took), e.detail() == null ? "" : e.detail());
  }
}
