package dev.switchback.cli;

import dev.switchback.plan.CutoverPlan;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which cutover a command acts on: a workflow id, or the plan whose cutover it is. */
public final class CutoverTarget {
  @Option(
      names = "--id",
      paramLabel = "WORKFLOW_ID",
      description = "The cutover's workflow id (cutover-<plan name>).")
  String id;

  @Option(
      names = "--plan",
      paramLabel = "PLAN.yaml",
      description = "The plan file; its cutover's workflow id is cutover-<plan name>.")
  Path plan;

  /**
   * The workflow id from {@code --id}, {@code --plan} or a positional plan file.
   *
   * @throws CliException exit 2 when none or more than one is given
   */
  public String workflowId(Path positionalPlan) {
    int given = (id != null ? 1 : 0) + (plan != null ? 1 : 0) + (positionalPlan != null ? 1 : 0);
    if (given == 0) {
      throw CliException.badInput(
          "which cutover? give --id cutover-<plan name> or the plan file (--plan PLAN.yaml)");
    }
    if (given > 1) {
      throw CliException.badInput("give the cutover once: either --id or a plan file, not both");
    }
    if (id != null) {
      if (id.isBlank()) {
        throw CliException.badInput("--id is empty: give the workflow id, e.g. cutover-orders");
      }
      return id;
    }
    Path file = plan != null ? plan : positionalPlan;
    CutoverPlan p = PlanFiles.read(file).plan();
    if (p == null || p.name() == null || p.name().isBlank()) {
      throw CliException.badInput(
          "plan " + file + " has no name, so its cutover cannot be found: give --id instead");
    }
    return p.workflowId();
  }
}
