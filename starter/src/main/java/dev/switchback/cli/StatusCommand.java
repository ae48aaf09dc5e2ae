package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.queries.CutoverStatus;
import io.temporal.client.WorkflowExecutionDescription;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    description = "Show a cutover once: phase, pending gate, timeline, latency, write outage.")
final class StatusCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "PLAN.yaml",
      arity = "0..1",
      description = "The plan whose cutover to show (or --id).")
  Path plan;

  @Mixin CutoverTarget target;
  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    String id = target.workflowId(plan);
    try (Temporal t = connection.connect()) {
      WorkflowExecutionDescription d = Cutovers.describe(t, id);
      if (!Cutovers.running(d)) {
        // The command worked whatever the outcome; the outcome is in the output.
        Watcher.ended(t, id, d, output, new TimelineView(output.out(), false, id));
        return 0;
      }
      CutoverStatus status;
      try {
        status = Cutovers.stub(t, id).status();
      } catch (RuntimeException e) {
        CliException c = Cutovers.translate(t, id, e);
        if (c.exitCode() == CliException.FAILURE && !Cutovers.payloadProblem(e)) {
          throw new CliException(
              CliException.FAILURE,
              "cutover "
                  + id
                  + " is running but nobody answered its status query: is a worker polling task"
                  + " queue switchback? (switchback worker)",
              e);
        }
        throw c;
      }
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("workflowId", id);
      json.put("runId", d.getExecution().getRunId());
      json.put("execution", Watcher.execution(d));
      json.put("status", status);
      output.object(json);
      if (!output.json()) {
        TimelineView.frame(status, System.currentTimeMillis(), id).forEach(output::line);
      }
      return 0;
    }
  }
}
