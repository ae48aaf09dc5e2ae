package dev.switchback.cli;

import dev.switchback.approval.SignedText;
import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.plan.GatesSpec;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "approve",
    description = {
      "Approve a gate (quiesce, switch, finalize) as NAME, through the validated Update"
          + " 'approve': a gate that is not pending, an approver not in the plan's list, or a"
          + " missing or wrong signature is refused at once with the workflow's reason (exit 2),"
          + " and nothing changes.",
      "With --key the approval is signed with NAME's private key for this run of the cutover;"
          + " a plan that lists NAME with a public key accepts nothing else."
    })
final class ApproveCommand implements Callable<Integer> {
  static final List<String> GATES =
      List.of(GatesSpec.QUIESCE, GatesSpec.SWITCH, GatesSpec.FINALIZE);

  @Parameters(paramLabel = "GATE", description = "quiesce, switch or finalize.")
  String gate;

  @Option(
      names = "--by",
      required = true,
      paramLabel = "NAME",
      description = "Who approves; must be in the plan's approvers.")
  String by;

  @Option(names = "--comment", paramLabel = "TEXT", description = "Kept in the history and report.")
  String comment;

  @Mixin Signer signer;
  @Mixin CutoverTarget target;
  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    if (!GATES.contains(gate)) {
      throw CliException.badInput(
          "GATE: '" + gate + "' is not a gate (fix: use one of " + String.join(", ", GATES) + ")");
    }
    Options.required("--by", by, "your name as listed in the plan's approvers");
    String id = target.workflowId(null);
    PrivateKey key = signer.privateKey();
    try (Temporal t = connection.connect()) {
      Cutovers.Run run = key == null ? null : Cutovers.run(t, id);
      GateDecision decision =
          Cutovers.update(
              t,
              id,
              "approval of gate '" + gate + "'",
              () ->
                  Cutovers.stub(t, id, run)
                      .approveGate(
                          new ApproveRequest(
                              gate,
                              by,
                              comment,
                              Signer.sign(key, SignedText.APPROVE, id, run, gate, by, comment))));
      output.object(decision);
      output.line(
          "gate '"
              + decision.gate()
              + "' "
              + decision.decision().toLowerCase()
              + " by "
              + decision.by()
              + (Boolean.TRUE.equals(decision.verified()) ? " (signature verified)" : "")
              + " on cutover "
              + id);
      return 0;
    }
  }
}
