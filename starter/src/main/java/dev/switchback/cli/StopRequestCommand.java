package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.workflow.CutoverWorkflow;
import java.security.PrivateKey;
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

  @Mixin Signer signer;
  @Mixin CutoverTarget target;
  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  /** The Update's name. */
  abstract String update();

  /** What --reason should say, for the error when it is missing. */
  abstract String reasonHint();

  /** Sends the request, signed when --key is given; returns the workflow's answer. */
  abstract String send(CutoverWorkflow cutover, RequestSignature signature);

  /** Printed after the answer. */
  String followUp(String workflowId) {
    return null;
  }

  @Override
  public Integer call() {
    Options.required("--by", by, "your name");
    Options.required("--reason", reason, reasonHint());
    String id = target.workflowId(null);
    PrivateKey key = signer.privateKey();
    try (Temporal t = connection.connect()) {
      Cutovers.Run run = key == null ? null : Cutovers.run(t, id);
      String answer =
          Cutovers.update(
              t,
              id,
              update(),
              () ->
                  send(
                      Cutovers.stub(t, id, run),
                      Signer.sign(key, update(), id, run, null, by, reason)));
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
