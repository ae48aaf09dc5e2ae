package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "start",
    description = {
      "Validate PLAN and start its cutover: workflow type Cutover, id cutover-<plan name>,"
          + " task queue switchback, the plan as input.",
      "An invalid plan is reported field by field and nothing is started (exit 2)."
    })
final class StartCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PLAN.yaml", description = "The cutover plan.")
  Path plan;

  @Option(names = "--watch", description = "Follow the cutover until it ends (as `watch`).")
  boolean watch;

  @Option(
      names = "--interval",
      paramLabel = "DURATION",
      defaultValue = "1s",
      description = "How often --watch refreshes (default ${DEFAULT-VALUE}).")
  String interval;

  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    PlanFiles.Loaded loaded = PlanFiles.load(plan);
    Duration every = Options.duration("--interval", interval);
    CutoverPlan input = loaded.asWritten();
    String id = input.workflowId();
    try (Temporal t = connection.connect()) {
      CutoverWorkflow workflow =
          t.client()
              .newWorkflowStub(
                  CutoverWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId(id)
                      .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                      .build());
      WorkflowExecution execution;
      try {
        execution = WorkflowClient.start(workflow::run, input);
      } catch (WorkflowExecutionAlreadyStarted e) {
        throw new CliException(
            CliException.FAILURE,
            "cutover "
                + id
                + " is already running (run "
                + e.getExecution().getRunId()
                + "): follow it with `switchback watch --id "
                + id
                + "`, or end it (rollback/abort) before starting again",
            e);
      } catch (RuntimeException e) {
        throw Cutovers.translate(t, id, e);
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("workflowId", id);
      json.put("runId", execution.getRunId());
      json.put("namespace", t.settings().namespace());
      json.put("taskQueue", CutoverWorkflow.TASK_QUEUE);
      output.line(
          "started cutover "
              + id
              + " (run "
              + execution.getRunId()
              + ") on "
              + t.settings()
              + ", task queue "
              + CutoverWorkflow.TASK_QUEUE);
      if (!watch) {
        output.object(json);
        output.line("  follow it:  switchback watch --id " + id);
        output.line("  approve:    switchback approve GATE --by NAME --id " + id);
        output.line("  roll back:  switchback rollback --by NAME --reason TEXT --id " + id);
        return 0;
      }
      return Watcher.watch(t, id, output, every, Watcher.terminal());
    }
  }
}
