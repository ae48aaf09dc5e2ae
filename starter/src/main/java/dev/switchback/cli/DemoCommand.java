package dev.switchback.cli;

import dev.switchback.demo.Demo;
import dev.switchback.demo.DemoOptions;
import dev.switchback.messages.values.Outcome;
import dev.switchback.plan.Durations;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    description = {
      "A real cutover of a database that is written to the whole time: starts the lab servers"
          + " (deploy/lab), the demo application, an embedded Temporal server and the worker,"
          + " then runs the Cutover workflow and checks every acknowledged write.",
      "--rollback plants a failing smoke test: the cutover must roll back by itself with no row"
          + " lost."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--engine",
      defaultValue = "postgres",
      description = "Lab engine: postgres or mariadb (default ${DEFAULT-VALUE}).")
  String engine;

  @Option(names = "--rollback", description = "Make the smoke test fail so the cutover rolls back.")
  boolean rollback;

  @Option(
      names = "--interactive",
      description = "Gates wait for approval (switchback approve) instead of being automatic.")
  boolean interactive;

  @Option(
      names = "--approver",
      defaultValue = "${env:USER:-operator}",
      description = "Who may approve in interactive mode (default ${DEFAULT-VALUE}).")
  String approver;

  @Option(
      names = "--rate",
      defaultValue = "200",
      description = "Demo application writes per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--writers",
      defaultValue = "4",
      description = "Demo application writer threads (default ${DEFAULT-VALUE}).")
  int writers;

  @Option(
      names = "--soak",
      defaultValue = "5s",
      description = "Soak after the switch (default ${DEFAULT-VALUE}).")
  String soak;

  @Option(
      names = "--port",
      defaultValue = "7233",
      description = "Embedded Temporal server port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--history", description = "Write the workflow history (JSON) to this file.")
  Path history;

  @Mixin Output output;

  @Override
  public Integer call() throws Exception {
    Output out = output;
    if (!Durations.valid(soak)) {
      throw new CliException(2, "--soak '" + soak + "' is not a duration: write e.g. 5s or 2m");
    }
    if (rate <= 0 || writers < 1) {
      throw new CliException(2, "--rate must be above 0 and --writers at least 1");
    }
    Path repository = repository();
    DemoOptions demoOptions =
        new DemoOptions(engine, rollback, interactive, approver, rate, writers, soak, port);
    Demo.Result r;
    try {
      r = new Demo(Demo.lab(engine), demoOptions, repository, System.err).run(history);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("engine", engine);
    json.put("outcome", r.outcome());
    json.put("reason", r.reason());
    json.put("writeOutageMs", r.writeOutageMs());
    json.put("clientMaxStallMs", r.clientMaxStallMs());
    json.put("acknowledgedWrites", r.acknowledgedWrites());
    json.put("failedWrites", r.failedWrites());
    json.put("applicationTarget", r.applicationTarget());
    json.put("lostRows", r.lostRows());
    json.put("duplicateRows", r.duplicateRows());
    json.put("sourceRows", r.sourceRows());
    json.put("destinationRows", r.destinationRows());
    json.put(
        rollback ? "destinationRowsMissingOnSource" : "sourceRowsMissingOnDestination",
        r.carriedBackMissing());
    json.put("timeline", r.timeline());
    if (out.json()) {
      out.object(json);
    } else {
      out.line("");
      TimelineView.reportLines(r.report()).forEach(out::line);
      out.line(
          String.format(
              "demo: %s, write outage %s (workflow), longest client stall %s, %d writes"
                  + " acknowledged, %d failed, %d lost, %d duplicated",
              r.outcome(),
              Durations.human(r.writeOutageMs()),
              Durations.human(r.clientMaxStallMs()),
              r.acknowledgedWrites(),
              r.failedWrites(),
              r.lostRows(),
              r.duplicateRows()));
    }
    boolean expected = r.outcome() == (rollback ? Outcome.ROLLED_BACK : Outcome.COMPLETED);
    return expected && r.lostRows() == 0 && r.duplicateRows() == 0 && r.failedWrites() == 0 ? 0 : 1;
  }

  // The launcher runs from the repository; the lab scripts live under deploy/lab there.
  private static Path repository() {
    String home = System.getenv("SWITCHBACK_HOME");
    Path dir = home != null ? Path.of(home) : Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/lab/lab.sh"))) {
        return p;
      }
    }
    throw new CliException(
        2,
        "cannot find deploy/lab/lab.sh above "
            + dir
            + ": run the demo from the repository (./switchback demo)");
  }
}
