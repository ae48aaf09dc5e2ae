package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.commands.AbortRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "abort",
    description = {
      "Stop the cutover before any write stopped, through the validated Update 'abort'.",
      "Once writes have stopped the workflow refuses (exit 2): use rollback then."
    })
final class AbortCommand implements Callable<Integer> {
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

  @Override
  public Integer call() {
    Options.required("--by", by, "your name");
    Options.required("--reason", reason, "why the cutover must stop");
    String id = target.workflowId(null);
    try (Temporal t = connection.connect()) {
      String answer =
          Cutovers.update(
              t,
              id,
              "abort",
              () -> Cutovers.stub(t, id).requestAbort(new AbortRequest(by, reason)));
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("workflowId", id);
      json.put("accepted", true);
      json.put("message", answer);
      output.object(json);
      output.line(answer);
      return 0;
    }
  }
}
