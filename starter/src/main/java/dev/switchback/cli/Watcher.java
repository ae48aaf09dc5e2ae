package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.Outcome;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.client.WorkflowExecutionDescription;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Follows a cutover from its {@code status} query until it ends, then shows the report. */
final class Watcher {
  private Watcher() {}

  /**
   * Blocks until the cutover {@code id} ended.
   *
   * @return 0 when it completed, 1 when it rolled back, aborted or failed
   */
  static int watch(Temporal t, String id, Output output, Duration interval, boolean ansi) {
    CutoverWorkflow stub = Cutovers.stub(t, id);
    TimelineView view = new TimelineView(output.out(), ansi && !output.json(), id);
    String lastQueryProblem = null;
    WorkflowExecutionDescription d = Cutovers.describe(t, id);
    while (Cutovers.running(d)) {
      try {
        CutoverStatus status = stub.status();
        if (!output.json()) {
          view.show(status, System.currentTimeMillis());
        }
        lastQueryProblem = null;
      } catch (RuntimeException e) {
        String problem = Cutovers.innermostMessage(e);
        if (!problem.equals(lastQueryProblem)) {
          output.note(
              "status query failed ("
                  + problem
                  + "); is a worker polling task queue "
                  + CutoverWorkflow.TASK_QUEUE
                  + "? (switchback worker)");
          lastQueryProblem = problem;
        }
      }
      sleep(interval);
      d = Cutovers.describe(t, id);
    }
    return ended(t, id, d, output, view);
  }

  /** Prints how the cutover ended and returns the exit code. */
  static int ended(
      Temporal t, String id, WorkflowExecutionDescription d, Output output, TimelineView view) {
    Cutovers.Ended ended = Cutovers.result(t, id);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("workflowId", id);
    json.put("runId", d.getExecution().getRunId());
    json.put("execution", execution(d));
    if (ended.report() == null) {
      json.put("error", ended.failure());
      output.object(json);
      if (!output.json()) {
        output.out().println(ended.failure());
        output.out().flush();
      }
      return CliException.FAILURE;
    }
    json.put("outcome", ended.report().outcome());
    json.put("report", ended.report());
    output.object(json);
    if (!output.json()) {
      view.finish(ended.report(), System.currentTimeMillis());
    }
    return ended.report().outcome() == Outcome.COMPLETED ? 0 : CliException.FAILURE;
  }

  static String execution(WorkflowExecutionDescription d) {
    return d.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
  }

  /** Whether this process writes to a terminal that understands cursor movement. */
  static boolean terminal() {
    String term = System.getenv("TERM");
    return System.console() != null && term != null && !term.equals("dumb");
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.FAILURE, "interrupted");
    }
  }
}
