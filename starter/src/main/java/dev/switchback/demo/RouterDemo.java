package dev.switchback.demo;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.demo.load.ClientRun;
import dev.switchback.demo.load.LoadGenerator;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.worker.SwitchbackWorker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A demo with an application nobody here wrote: a load generator (pgbench, sysbench) writes through
 * a proxy router (PgBouncer, HAProxy) while the {@code Cutover} workflow switches it, and what the
 * application saw comes from the tool's own output.
 *
 * <p>The load runs in rounds of a fixed time (the tools print their figures, and pgbench writes its
 * log, only when a run ends), one after another, until the cutover has settled and the load has
 * written after the last resume; the demo times the gates around it: the quiesce gate waits until
 * the load has run on the source for {@link #WARM_UP}; the finalize gate waits until the load has
 * ended and the sides were compared, since finalize ends the reverse instance that carries the
 * destination's writes back. A rollback ends the workflow by itself; the load then finishes its
 * round on the source. However slow the machine, the load outlasts the last resume.
 */
public final class RouterDemo {
  /** How long the load writes on the source before the demo approves the quiesce gate. */
  static final Duration WARM_UP = Duration.ofSeconds(2);

  /** The most rounds of the load a demo runs before it gives up on the cutover settling. */
  static final int MAX_ROUNDS = 40;

  /** How long the reverse instance may take to carry the destination's last writes back. */
  static final Duration SETTLE = Duration.ofSeconds(60);

  private final RouterDemoLab lab;
  private final DemoOptions options;
  private final Duration duration;
  private final Path repository;
  private final PrintStream progress;

  public RouterDemo(
      RouterDemoLab lab,
      DemoOptions options,
      Duration duration,
      Path repository,
      PrintStream progress) {
    this.lab = lab;
    this.options = options;
    this.duration = duration;
    this.repository = repository;
    this.progress = progress;
  }

  /** The router demos by router type; each runs on one engine. */
  public static RouterDemoLab lab(String router, String engine, Path repository) {
    RouterDemoLab lab =
        switch (router) {
          case "pgbouncer" -> new PgbenchDemoLab();
          case "haproxy" -> new SysbenchDemoLab(repository);
          default ->
              throw new IllegalArgumentException(
                  "--router " + router + " has no demo; use pgbouncer or haproxy");
        };
    if (!lab.engine().equals(engine)) {
      throw new IllegalArgumentException(
          "--router "
              + router
              + " demos the "
              + lab.engine()
              + " lab, not "
              + engine
              + ": use --engine "
              + lab.engine()
              + " --router "
              + router);
    }
    return lab;
  }

  /**
   * The router demos' gates: quiesce and finalize wait for the demo's approval (it times them
   * around the load), the switch follows at once. A run that dies leaves no cutover waiting long:
   * the quiesce gate aborts after 10 minutes, the finalize gate rolls back.
   */
  static GatesSpec gates() {
    return new GatesSpec(
        new GateSpec("approval", "10m", "abort"),
        new GateSpec("auto", null, null),
        new GateSpec("approval", "10m", "rollback"));
  }

  /**
   * What a router demo measured.
   *
   * @param engine the lab engine
   * @param router the router type
   * @param outcome how the cutover ended
   * @param reason why it rolled back or failed
   * @param writeOutageMs the workflow's write outage (fence to resume, both ways on a rollback)
   * @param applicationTarget where the application points at the end
   * @param commands the load generator's command lines (its first round)
   * @param loadRounds how many rounds of {@code --duration} the load ran (until the cutover settled
   *     and the load had written after the last resume)
   * @param loadSeconds how long the load ran (its rounds' fixed times)
   * @param client what the load generator reported
   * @param transactionsAfterLastResume transactions the load completed from the last resume on (the
   *     application was writing again after the switch, or after the switch back)
   * @param loadAfterLastResumeMs from the last resume to the load's last completed transaction: the
   *     margin the load's last round left (sysbench: to the start of its last report)
   * @param sides the comparison of the two sides
   * @param invariants the load's invariants on the side the application ends on
   * @param problems why the demo failed; empty when it passed
   * @param wallTimeMs the whole demo, lab start to report
   * @param report the workflow's report
   */
  public record Result(
      String engine,
      String router,
      Outcome outcome,
      String reason,
      long writeOutageMs,
      Side applicationTarget,
      List<String> commands,
      int loadRounds,
      long loadSeconds,
      ClientRun client,
      long transactionsAfterLastResume,
      long loadAfterLastResumeMs,
      SideCheck sides,
      List<Invariant> invariants,
      List<String> problems,
      long wallTimeMs,
      CutoverReport report) {

    public boolean passed() {
      return problems.isEmpty();
    }
  }

  public Result run(Path historyFile) throws Exception {
    long started = System.nanoTime();
    for (String name : lab.labNames()) {
      DemoLab.startLab(repository, name, progress);
    }
    Path work = Files.createTempDirectory("switchback-demo-" + lab.router());
    try (Connections connections = new Connections(new Secrets(System.getenv(), Demo.scope()))) {
      CutoverPlan plan = lab.prepare(connections, options, progress);
      try (SwitchbackWorker worker = DemoCutover.startWorker(options, progress);
          LoadGenerator load = lab.load(options, duration, work)) {
        DemoCutover cutover = DemoCutover.start(worker.client(), plan, progress);
        progress.println(
            "cutover "
                + plan.workflowId()
                + " started"
                + (options.rollback() ? " (a smoke test will fail: expect a rollback)" : ""));
        Result r = drive(cutover, load, work, started);
        if (historyFile != null) {
          Files.writeString(
              historyFile, worker.client().fetchHistory(plan.workflowId()).toJson(true));
        }
        return r;
      }
    } finally {
      deleteTree(work);
    }
  }

  private Result drive(DemoCutover cutover, LoadGenerator load, Path work, long started)
      throws Exception {
    // The load starts once the forward instance is caught up and the cutover waits at its first
    // gate: its time is then spent on the switch, not on preflight.
    if (cutover.await(s -> "quiesce".equals(s.pendingGate()), Duration.ofMinutes(3)) == null) {
      CutoverReport report = cutover.awaitResult(Duration.ofMinutes(1));
      List<String> problems =
          List.of("the cutover ended before its quiesce gate: " + report.reason());
      return result(report, load, 0, null, 0, 0, null, List.of(), problems, started);
    }
    startLoad(load);
    Thread.sleep(WARM_UP.toMillis());
    cutover.approve("quiesce", options.approver(), "the load has written on the source");
    Rounds rounds = runRounds(cutover, load, work);
    ClientRun client = ClientRun.merge(rounds.runs);
    progress.println("load: " + rounds.runs.size() + " round(s): " + client.summary());
    SideCheck sides = rounds.atFinalize == null ? null : compareThenFinalize(cutover);
    CutoverReport report =
        rounds.report != null ? rounds.report : cutover.awaitResult(Duration.ofMinutes(5));
    Side finalSide = rounds.atFinalize == null ? null : Side.DESTINATION;
    if (report.outcome() == Outcome.ROLLED_BACK) {
      sides = lab.destinationOnSource();
      progress.println("sides: " + sides.detail());
      finalSide = Side.SOURCE;
    }
    List<Invariant> invariants = finalSide == null ? List.of() : lab.invariants(finalSide, client);
    invariants.forEach(i -> progress.println("invariant " + i));
    long lastResume = lastResume(report.timeline());
    long after = lastResume == 0 ? 0 : client.transactionsFrom(lastResume);
    long margin =
        lastResume == 0 || client.lastCompletionMillis() == 0
            ? 0
            : client.lastCompletionMillis() - lastResume;
    List<String> problems = problems(report, client, after, sides, invariants);
    return result(
        report,
        load,
        rounds.runs.size(),
        client,
        after,
        margin,
        sides,
        invariants,
        problems,
        started);
  }

  /** The load's rounds, and where the cutover was when the last one ended. */
  private record Rounds(List<ClientRun> runs, CutoverStatus atFinalize, CutoverReport report) {}

  /**
   * Runs the load in rounds of {@link #duration} (the tools print their figures, and pgbench writes
   * its log, only when a run ends) until the cutover has settled (waits at its finalize gate, or
   * ended: a rollback) and the load has completed transactions after the last resume, so the demo
   * never depends on how fast the machine runs the cutover. Stops early when a round failed (the
   * problems say how), and after {@link #MAX_ROUNDS}.
   */
  private Rounds runRounds(DemoCutover cutover, LoadGenerator first, Path work) throws Exception {
    List<ClientRun> runs = new ArrayList<>();
    LoadGenerator round = first;
    while (true) {
      try {
        runs.add(round.await(duration.plus(Duration.ofSeconds(60))));
      } finally {
        if (round != first) {
          round.close();
        }
      }
      ClientRun last = runs.get(runs.size() - 1);
      // null: the workflow ended (a rollback ends it by itself).
      CutoverStatus now = cutover.await(s -> true, Duration.ofMinutes(1));
      CutoverReport report = now == null ? cutover.awaitResult(Duration.ofMinutes(1)) : null;
      boolean settled = report != null || "finalize".equals(now.pendingGate());
      long lastResume = lastResume(report != null ? report.timeline() : now.timeline());
      boolean wroteAfter = lastResume > 0 && ClientRun.merge(runs).transactionsFrom(lastResume) > 0;
      boolean failing = !last.completed() || last.failed() > 0 || last.abortedClients() > 0;
      if (settled && wroteAfter || failing || runs.size() >= MAX_ROUNDS) {
        return new Rounds(runs, settled && report == null ? now : null, report);
      }
      round =
          lab.load(
              options, duration, Files.createDirectory(work.resolve("round-" + (runs.size() + 1))));
      round.start();
      progress.println(
          "load: round "
              + (runs.size() + 1)
              + " ("
              + (settled ? "the last resume was too late in the last round" : "the cutover goes on")
              + ")");
    }
  }

  private void startLoad(LoadGenerator load) throws IOException {
    load.start();
    load.commands().forEach(c -> progress.println("load: " + c));
    progress.println(
        "load: "
            + load.duration().toSeconds()
            + " s rounds until the cutover has settled; the quiesce gate is approved after "
            + WARM_UP.toSeconds()
            + " s of writes on the source");
  }

  // The reverse instance still runs: wait until it has carried the destination's last writes
  // back, compare, then let finalize end it.
  private SideCheck compareThenFinalize(DemoCutover cutover) throws Exception {
    SideCheck sides = awaitIdentical();
    progress.println("sides: " + sides.detail());
    cutover.approve(
        "finalize",
        options.approver(),
        "the load ended and the sides were compared: "
            + (sides.passed() ? "identical" : "they differ"));
    return sides;
  }

  /** Why the demo failed; empty when it passed. */
  private List<String> problems(
      CutoverReport report,
      ClientRun client,
      long afterLastResume,
      SideCheck sides,
      List<Invariant> invariants) {
    List<String> problems = new ArrayList<>();
    Outcome expected = options.rollback() ? Outcome.ROLLED_BACK : Outcome.COMPLETED;
    if (report.outcome() != expected) {
      problems.add("the cutover ended " + report.outcome() + ", expected " + expected);
    } else if (options.rollback() && (report.tests() == null || report.tests().passed())) {
      // Rolled back, but not for the planted failing test: something else went wrong.
      problems.add("the cutover rolled back before its smoke tests failed: " + report.reason());
    }
    if (!client.completed()) {
      problems.add(
          client.tool()
              + " did not end normally (exit "
              + client.exitCodes()
              + "): "
              + String.join("; ", client.messages()));
    }
    if (client.failed() > 0 || client.abortedClients() > 0) {
      problems.add(
          client.failed()
              + " transaction(s) failed and "
              + client.abortedClients()
              + " client(s) aborted");
    }
    if (afterLastResume == 0) {
      problems.add(
          "the load never wrote again after the last resume, in "
              + MAX_ROUNDS
              + " rounds of "
              + duration.toSeconds()
              + " s: the application did not get through the router after the switch");
    }
    if (sides == null) {
      problems.add(
          "the sides were not compared: the cutover neither waited at finalize nor rolled back");
    } else if (!sides.passed()) {
      problems.add("sides: " + sides.detail());
    }
    invariants.stream()
        .filter(i -> !i.holds())
        .forEach(i -> problems.add("invariant broken: " + i.name() + " (" + i.detail() + ")"));
    return problems;
  }

  /** Compares until the sides are identical, {@link #SETTLE} at most; returns the last look. */
  private SideCheck awaitIdentical() throws Exception {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    SideCheck check = lab.compareSides();
    while (!check.passed() && System.nanoTime() < deadline) {
      Thread.sleep(500);
      check = lab.compareSides();
    }
    return check;
  }

  // The end of the last resumeApplication that succeeded: the switch, or the switch back.
  private static long lastResume(List<TimelineEntry> timeline) {
    long last = 0;
    for (TimelineEntry e : timeline) {
      if ("resumeApplication".equals(e.step()) && "OK".equals(e.outcome())) {
        last = Math.max(last, e.endedAtMillis());
      }
    }
    return last;
  }

  private Result result(
      CutoverReport report,
      LoadGenerator load,
      int rounds,
      ClientRun client,
      long after,
      long margin,
      SideCheck sides,
      List<Invariant> invariants,
      List<String> problems,
      long started) {
    return new Result(
        lab.engine(),
        lab.router(),
        report.outcome(),
        report.reason(),
        report.writeOutageMs(),
        report.applicationTarget(),
        load.commands(),
        rounds,
        rounds * load.duration().toSeconds(),
        client,
        after,
        margin,
        sides,
        invariants,
        problems,
        (System.nanoTime() - started) / 1_000_000,
        report);
  }

  private static void deleteTree(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: the system cleans it eventually
    }
  }
}
