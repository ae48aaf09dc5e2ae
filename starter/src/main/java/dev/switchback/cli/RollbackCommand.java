package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.commands.RollbackRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "rollback",
    description = {
      "Ask the cutover to roll back (until finalize), through the validated Update 'rollback'.",
      "After the switch, rollback is the cutover run the other way: quiesce, fence the"
          + " destination, drain the reverse instance, point the application back, resume."
    })
final class RollbackCommand implements Callable<Integer> {
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
    Options.required("--reason", reason, "why the cutover must roll back");
    String id = target.workflowId(null);
    try (Temporal t = connection.connect()) {
      String answer =
          Cutovers.update(
              t,
              id,
              "rollback",
              () -> Cutovers.stub(t, id).requestRollback(new RollbackRequest(by, reason)));
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("workflowId", id);
      json.put("accepted", true);
      json.put("message", answer);
      output.object(json);
      output.line(answer);
      output.line("  follow it: switchback watch --id " + id);
      return 0;
    }
  }
}
