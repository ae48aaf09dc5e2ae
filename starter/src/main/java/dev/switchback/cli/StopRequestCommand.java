package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.workflow.CutoverWorkflow;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A request to stop the cutover ({@code rollback}, {@code abort}): who and why, sent through the
 * workflow's validated Update of that name, whose answer is printed.
 */
abstract class StopRequestCommand implements Callable<Integer> {
  @Option(names = "--by", required = true, paramLabel = "NAME", description = "Who asks.")
  String by;

  @Option(
      names = "--reason",
      required = true,
      paramLabel = "TEXT",
      description = "Why; kept in the history and the report.")
  String reason;

  @Mixin CutoverTarget target;
  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  /** The Update's name. */
  abstract String update();

  /** What --reason should say, for the error when it is missing. */
  abstract String reasonHint();

  /** Sends the request; returns the workflow's answer. */
  abstract String send(CutoverWorkflow cutover);

  /** Printed after the answer. */
  String followUp(String workflowId) {
    return null;
  }

  @Override
  public Integer call() {
    Options.required("--by", by, "your name");
    Options.required("--reason", reason, reasonHint());
    String id = target.workflowId(null);
    try (Temporal t = connection.connect()) {
      String answer = Cutovers.update(t, id, update(), () -> send(Cutovers.stub(t, id)));
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("workflowId", id);
      json.put("accepted", true);
      json.put("message", answer);
      output.object(json);
      output.line(answer);
      String next = followUp(id);
      if (next != null) {
        output.line(next);
      }
      return 0;
    }
  }
}
