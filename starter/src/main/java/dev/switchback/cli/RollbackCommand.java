package dev.switchback.cli;

import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.workflow.CutoverWorkflow;
import picocli.CommandLine.Command;

@Command(
    name = "rollback",
    description = {
      "Ask the cutover to roll back (until finalize), through the validated Update 'rollback'.",
      "After the switch, rollback is the cutover run the other way: quiesce, fence the"
          + " destination, drain the reverse instance, point the application back, resume."
    })
final class RollbackCommand extends StopRequestCommand {
  @Override
  String update() {
    return "rollback";
  }

  @Override
  String reasonHint() {
    return "why the cutover must roll back";
  }

  @Override
  String send(CutoverWorkflow cutover, RequestSignature signature) {
    return cutover.requestRollback(new RollbackRequest(by, reason, signature));
  }

  @Override
  String followUp(String workflowId) {
    return "  follow it: switchback watch --id " + workflowId;
  }
}
