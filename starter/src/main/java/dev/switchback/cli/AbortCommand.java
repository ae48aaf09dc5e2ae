package dev.switchback.cli;

import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.workflow.CutoverWorkflow;
import picocli.CommandLine.Command;

@Command(
    name = "abort",
    description = {
      "Stop the cutover before any write stopped, through the validated Update 'abort'.",
      "Once writes have stopped the workflow refuses (exit 2): use rollback then."
    })
final class AbortCommand extends StopRequestCommand {
  @Override
  String update() {
    return "abort";
  }

  @Override
  String reasonHint() {
    return "why the cutover must stop";
  }

  @Override
  String send(CutoverWorkflow cutover, RequestSignature signature) {
    return cutover.requestAbort(new AbortRequest(by, reason, signature));
  }
}
