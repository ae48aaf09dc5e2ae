package dev.switchback.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import dev.switchback.worker.Wiring;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "plan",
    description = "Work with plan files without starting anything.",
    subcommands = {PlanCommand.Check.class, PlanCommand.Json.class})
final class PlanCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "name a subcommand: plan check PLAN.yaml, or plan json PLAN.yaml");
  }

  @Command(
      name = "check",
      description = {
        "Validate PLAN, then run the read-only preflight from this machine: endpoints reachable,"
            + " the forward instance Running, privileges to fence and list sessions, the reverse"
            + " path possible, the router reachable. Changes nothing.",
        "Secrets (env:NAME, file:/path) are resolved here, from this shell's environment,"
            + " within the secret scope it sets as a worker's would (SWITCHBACK_SCOPE_ENV_PREFIX,"
            + " SWITCHBACK_SCOPE_DIRS, SWITCHBACK_SCOPE_BINDINGS; see docs/security.md).",
        "Exit 0 when every check holds, 1 when one does not, 2 when the plan is invalid."
      })
  static final class Check implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN.yaml", description = "The cutover plan.")
    Path plan;

    @Option(
        names = "--no-preflight",
        description = "Only validate the plan; contact no database (for CI).")
    boolean noPreflight;

    @Mixin Output output;

    private final BiFunction<Registry, Connections, DatabaseActivities> databaseActivities;

    Check() {
      this(Wiring::databaseActivities);
    }

    Check(BiFunction<Registry, Connections, DatabaseActivities> databaseActivities) {
      this.databaseActivities = databaseActivities;
    }

    @Override
    public Integer call() {
      CutoverPlan p = PlanFiles.load(plan).withDefaults();
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("plan", p.name());
      json.put("workflowId", p.workflowId());
      json.put("valid", true);
      output.line("plan " + p.name() + " (" + plan + ") is valid:");
      summary(p).forEach(output::line);
      if (noPreflight) {
        output.object(json);
        return 0;
      }
      PreflightReport report = preflight(p);
      json.put("preflight", report);
      output.object(json);
      output.line("preflight (read-only, from this machine):");
      for (PreflightCheck c : report.checks()) {
        output.line(
            String.format(
                "  %-4s  %-34s %s",
                !c.ok() ? "FAIL" : c.warning() ? "warn" : "ok",
                c.check(),
                c.detail() == null ? "" : c.detail()));
      }
      long failed = report.checks().stream().filter(c -> !c.ok()).count();
      long warned = report.checks().stream().filter(c -> c.ok() && c.warning()).count();
      if (report.ok()) {
        output.line(
            "preflight passed: all "
                + report.checks().size()
                + " checks hold"
                + (warned == 0 ? "" : ", " + warned + " with a warning (warn above)"));
        return 0;
      }
      output.line(
          "preflight failed: "
              + (failed == 0 ? "the report is not ok" : failed + " of " + report.checks().size())
              + " checks do not hold; fix them before `switchback start`");
      return CliException.FAILURE;
    }

    private PreflightReport preflight(CutoverPlan p) {
      try (Connections connections = new Connections(new Secrets())) {
        DatabaseActivities db =
            databaseActivities.apply(Wiring.registry(connections.secrets()), connections);
        return db.preflight(p.workflowId(), p);
      } catch (ApplicationFailure e) {
        boolean input = FailureTypes.INVALID_PLAN.equals(e.getType());
        throw new CliException(
            input ? CliException.BAD_INPUT : CliException.FAILURE,
            "preflight stopped: " + e.getOriginalMessage(),
            e);
      } catch (IllegalStateException e) {
        throw new CliException(CliException.FAILURE, "preflight cannot run: " + e.getMessage(), e);
      }
    }

    private static java.util.List<String> summary(CutoverPlan p) {
      GatesSpec g = p.gates();
      return java.util.List.of(
          "  workflow id   " + p.workflowId(),
          "  migration     "
              + p.migration().provider()
              + " instance "
              + p.migration().instance()
              + ", reverse instance "
              + p.migration().reverseInstance(),
          "  source        " + p.source().engine() + " " + p.source().url(),
          "  destination   " + p.destination().engine() + " " + p.destination().url(),
          "  router        "
              + p.router().type()
              + (p.router().url() == null ? "" : " " + p.router().url()),
          "  gates         quiesce "
              + g.quiesce().mode()
              + ", switch "
              + g.switchGate().mode()
              + ", finalize "
              + g.finalizeGate().mode()
              + (p.approvers().isEmpty()
                  ? ""
                  : "; approvers "
                      + String.join(", ", p.approverNames())
                      + " (approvals "
                      + p.approvals()
                      + ")"),
          "  tests         "
              + p.tests().size()
              + (p.validation() == null ? "" : ", data validation " + p.validation().mode()),
          "  soak          " + p.soak());
    }
  }

  @Command(
      name = "json",
      description = {
        "Validate PLAN and print it as JSON, the Cutover workflow's input, e.g. for",
        "  temporal workflow start --type Cutover --task-queue switchback"
            + " --workflow-id cutover-<name> --input-file plan.json"
      })
  static final class Json implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN.yaml", description = "The cutover plan.")
    Path plan;

    @Mixin Output output;

    @Override
    public Integer call() throws JsonProcessingException {
      CutoverPlan p = PlanFiles.load(plan).asWritten();
      // The JSON is the output in both modes; --json only makes it one line.
      output
          .out()
          .println(
              output.json()
                  ? Output.JSON.writeValueAsString(p)
                  : Output.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(p));
      output.out().flush();
      return 0;
    }
  }
}
