package dev.switchback.cli;

import dev.switchback.demo.Demo;
import dev.switchback.demo.DemoLab;
import dev.switchback.demo.DemoOptions;
import dev.switchback.messages.values.Outcome;
import dev.switchback.plan.Durations;
import dev.switchback.worker.codec.PayloadKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
          + " (Redis: key) lost.",
      "--prepare-only --plan-out FILE: prepare the databases, the forward instance and the"
          + " writing application, write the plan (YAML, approval gates) to FILE and keep the"
          + " application writing until Ctrl-C; no worker, no workflow. Run those with any"
          + " Temporal client (see docs/interop.md). On Ctrl-C the application's writes are"
          + " checked on the side it ends on: exit 0 when none was lost, duplicated or failed.",
      "--router pgbouncer (engine postgres) or --engine mariadb --router haproxy: the application"
          + " is pgbench or sysbench, writing through the lab's PgBouncers or HAProxy in rounds"
          + " of --duration; the figures come from the tool's own output, then the sides are"
          + " compared. Exit 0 when the cutover ended as expected, no transaction failed, the"
          + " sides match and the load's invariants hold."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--engine",
      defaultValue = "postgres",
      description = "Lab engine: postgres, mariadb or redis (default ${DEFAULT-VALUE}).")
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
      description =
          "Soak after the switch (default 5s; 1s with --router, whose finalize gate waits"
              + " for the load).")
  String soak;

  @Option(
      names = "--router",
      paramLabel = "TYPE",
      description =
          "Run the load generator demo through a proxy router: pgbouncer (pgbench, engine"
              + " postgres) or haproxy (sysbench, engine mariadb).")
  String router;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      description =
          "With --router: how long one round of the load generator runs (default 5s); rounds"
              + " follow one another from the quiesce gate on until the cutover has settled and"
              + " the load wrote after the last resume.")
  String duration;

  @Option(
      names = "--port",
      defaultValue = "7233",
      description = "Embedded Temporal server port; 0 picks a free one (default ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--history", description = "Write the workflow history (JSON) to this file.")
  Path history;

  @Option(
      names = "--prepare-only",
      description =
          "Only prepare: databases, forward instance, writing application and the plan"
              + " (--plan-out); the cutover is run by another client.")
  boolean prepareOnly;

  @Option(
      names = "--plan-out",
      paramLabel = "FILE",
      description = "With --prepare-only: where to write the plan (YAML).")
  Path planOut;

  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile int prepareExitCode = CliException.FAILURE;

  @Mixin Output output;

  @Override
  public Integer call() throws Exception {
    Output out = output;
    if (soak == null) {
      soak = router != null ? "1s" : "5s";
    }
    if (!Durations.valid(soak)) {
      throw new CliException(2, "--soak '" + soak + "' is not a duration: write e.g. 5s or 2m");
    }
    if (rate <= 0 || writers < 1) {
      throw new CliException(2, "--rate must be above 0 and --writers at least 1");
    }
    if (prepareOnly != (planOut != null)) {
      throw new CliException(
          2,
          prepareOnly
              ? "--prepare-only needs --plan-out FILE: where to write the plan"
              : "--plan-out is for --prepare-only: add it, or drop --plan-out");
    }
    if (prepareOnly && history != null) {
      throw new CliException(
          2, "--history is for a full demo run: with --prepare-only the other client has it");
    }
    if (prepareOnly && !Files.isDirectory(planOut.toAbsolutePath().getParent())) {
      throw new CliException(
          2,
          "--plan-out "
              + planOut
              + ": directory "
              + planOut.toAbsolutePath().getParent()
              + " does not exist; create it or write the plan elsewhere");
    }
    if (router == null && duration != null) {
      throw new CliException(2, "--duration is for the --router demos: add --router, or drop it");
    }
    if (duration != null && !Durations.valid(duration)) {
      throw new CliException(
          2, "--duration '" + duration + "' is not a duration: write e.g. 15s or 1m");
    }
    if (router != null && (prepareOnly || interactive)) {
      throw new CliException(
          2,
          "--router runs its own load generator and times the gates around it: drop "
              + (prepareOnly ? "--prepare-only" : "--interactive"));
    }
    Path repository = repository();
    if (prepareOnly) {
      return prepareOnly(repository);
    }
    if (router != null) {
      return RouterDemoCommand.run(this, repository);
    }
    DemoOptions demoOptions =
        new DemoOptions(
            engine, rollback, interactive, approver, rate, writers, soak, port, payloadKeys());
    DemoLab lab;
    Demo.Result r;
    try {
      lab = Demo.lab(engine);
      r = new Demo(lab, demoOptions, repository, System.err).run(history);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    // Rows for SQL engines, keys for Redis: the same report, named after what was counted.
    String unit = lab.unit().substring(0, 1).toUpperCase() + lab.unit().substring(1);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("engine", engine);
    json.put("outcome", r.outcome());
    json.put("reason", r.reason());
    json.put("writeOutageMs", r.writeOutageMs());
    json.put("clientMaxStallMs", r.clientMaxStallMs());
    json.put("acknowledgedWrites", r.acknowledgedWrites());
    json.put("failedWrites", r.failedWrites());
    json.put("applicationTarget", r.applicationTarget());
    json.put("lost" + unit, r.lostRows());
    json.put("duplicate" + unit, r.duplicateRows());
    json.put("source" + unit, r.sourceRows());
    json.put("destination" + unit, r.destinationRows());
    json.put(
        rollback
            ? "destination" + unit + "MissingOnSource"
            : "source" + unit + "MissingOnDestination",
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
                  + " acknowledged, %d failed, %d %s lost, %d duplicated",
              r.outcome(),
              Durations.human(r.writeOutageMs()),
              Durations.human(r.clientMaxStallMs()),
              r.acknowledgedWrites(),
              r.failedWrites(),
              r.lostRows(),
              lab.unit(),
              r.duplicateRows()));
    }
    boolean expected = r.outcome() == (rollback ? Outcome.ROLLED_BACK : Outcome.COMPLETED);
    return expected && r.lostRows() == 0 && r.duplicateRows() == 0 && r.failedWrites() == 0 ? 0 : 1;
  }

  private int prepareOnly(Path repository) throws Exception {
    // Gates wait for approval: approving them is the other client's part.
    DemoOptions demoOptions =
        new DemoOptions(engine, rollback, true, approver, rate, writers, soak, port);
    Demo demo;
    try {
      demo = new Demo(Demo.lab(engine), demoOptions, repository, System.err);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    Thread hook = new Thread(this::stopAndReport, "switchback-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Demo.Witness w = demo.prepareOnly(planOut.toAbsolutePath(), stop);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("engine", engine);
      json.put("applicationTarget", w.applicationTarget());
      json.put("acknowledgedWrites", w.acknowledgedWrites());
      json.put("failedWrites", w.failedWrites());
      json.put("lostRows", w.lostRows());
      json.put("duplicateRows", w.duplicateRows());
      json.put("otherSideRowsMissing", w.otherSideRowsMissing());
      json.put("clientMaxStallMs", w.clientMaxStallMs());
      json.put("clean", w.clean());
      output.object(json);
      output.line(
          String.format(
              "demo application stopped on the %s: %d writes acknowledged, %d failed, %d lost,"
                  + " %d duplicated, %d rows of the %s missing there; longest client stall %s",
              w.applicationTarget().word(),
              w.acknowledgedWrites(),
              w.failedWrites(),
              w.lostRows(),
              w.duplicateRows(),
              w.otherSideRowsMissing(),
              w.applicationTarget().other().word(),
              Durations.human(w.clientMaxStallMs())));
      prepareExitCode = w.clean() ? 0 : CliException.FAILURE;
      return prepareExitCode;
    } catch (Exception e) {
      if (stop.getCount() == 0) {
        // The shutdown hook halts the process once this returns: say why before it does.
        System.err.println("demo: " + e);
      }
      throw e;
    } finally {
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C brought us here: the hook ends the process with the exit code.
      }
    }
  }

  // Ctrl-C or SIGTERM is how a prepared demo stops: let the application finish its writes and the
  // check run, then end with the check's exit code (System.exit would block inside a shutdown).
  private void stopAndReport() {
    stop.countDown();
    try {
      if (stopped.await(3, TimeUnit.MINUTES)) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(prepareExitCode);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The payload keys of this shell, for the demo's worker (exit 2 when configured wrongly). */
  static PayloadKeys payloadKeys() {
    try {
      return Demo.payloadKeys(System.getenv());
    } catch (IllegalArgumentException e) {
      throw CliException.badInput(e.getMessage());
    }
  }

  // The launcher runs from the repository; the lab scripts live under deploy/lab there.
  static Path repository() {
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
