package dev.switchback.demo;

import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One cell of the fault suite, from a fresh demo database to the verdict. The fault lands in its
 * phase deterministically: a lock, an open transaction, a slow smoke test or a slow webhook answer
 * holds the phase (a gate holds it where the lock must come after an earlier phase), the status
 * query says when the phase is reached, and the fault is injected then.
 */
final class FaultRun {
  private static final int CELL_SECONDS = 240;

  private final FaultCell cell;
  private final FaultLab lab;
  private final Path repository;
  private final WorkflowClient client;
  private final WorkerProcess worker;
  private final List<String> problems = new ArrayList<>();
  private CutoverWorkflow workflow;

  FaultRun(
      FaultCell cell, FaultLab lab, Path repository, WorkflowClient client, WorkerProcess worker) {
    this.cell = cell;
    this.lab = lab;
    this.repository = repository;
    this.client = client;
    this.worker = worker;
  }

  FaultTable.Row run() throws Exception {
    long started = System.nanoTime();
    String outcome = "not run";
    long lost = -1;
    long duplicated = -1;
    List<String> leftovers = new ArrayList<>();
    List<String> retried = List.of();
    try (Connections connections = FaultSuiteTest.connections()) {
      // Earlier cells' (or an interrupted run's) instances and database go first.
      lab.demo().prepare(connections);
      DemoApp app = lab.demo().startApplication(2, 100);
      try (SlowRouter router = new SlowRouter(app.routerUrl())) {
        CutoverPlan plan =
            FaultSuiteTest.validated(
                FaultSuiteTest.plan(cell, lab, router.url(), app.routerSigningKey()));
        lab.demo().createForward(connections, plan, System.out);
        lab.afterForward();
        CutoverReport report = cutover(plan, router, connections);
        if (report == null) {
          outcome = "no end within " + CELL_SECONDS + " s";
          problems.add(outcome);
        } else {
          outcome = report.outcome().name();
          if (report.outcome() != Outcome.COMPLETED) {
            outcome += " (" + shorten(report.reason()) + ")";
          }
          judgeOutcome(report);
          retried = retried(plan.workflowId());
          awaitWrites(app, report.applicationTarget());
        }
        app.close();
        if (report != null) {
          long[] rows = rows(app, report);
          lost = rows[0];
          duplicated = rows[1];
          leftovers = leftovers(plan, report);
          problems.addAll(leftovers);
        }
      } finally {
        app.close();
      }
    } catch (Exception | AssertionError e) {
      problems.add("the cell broke: " + e);
      e.printStackTrace(System.out);
      endWorkflow();
    }
    return new FaultTable.Row(
        cell,
        cell.faultDetail(lab),
        outcome,
        lost,
        duplicated,
        leftovers,
        retried,
        List.copyOf(problems),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
  }

  // ------------------------------------------------------------------ driving the cell

  private CutoverReport cutover(CutoverPlan plan, SlowRouter router, Connections connections)
      throws Exception {
    FaultLab.Hold hold = FaultLab.Hold.none();
    boolean slow = cell.fault() == FaultCell.Fault.SLOW_STEP;
    try {
      switch (cell.stage()) {
        case CATCH_UP -> {
          // The forward instance falls behind (its apply waits for the lock), so catch-up waits.
          hold = lab.lockOrders(Side.DESTINATION);
          FaultSuiteTest.awaitForwardLatencyAbove(lab, plan, connections, 3000);
        }
        case QUIESCE ->
            hold = lab.lockOrders(Side.SOURCE); // a write in flight the quiesce waits for
        case REVERSE_START -> hold = lab.holdReverseStart();
        case SWITCH ->
            router.slowNext("point", Duration.ofSeconds(slow ? FaultCell.SLOW_SECONDS : 3));
        default -> {}
      }
      workflow = FaultSuiteTest.start(client, plan);
      hold = holdAtGate(workflow, hold);
      FaultSuiteTest.awaitStatus(
          workflow, s -> s.phase() == cell.stage().phase, "phase " + cell.stage().phase, 120);
      long inPhase = System.nanoTime();
      System.out.println(
          "  " + cell.name() + ": in phase " + cell.stage().phase + ", injecting now");
      switch (cell.fault()) {
        case SLOW_STEP -> {
          if (cell.stage() == FaultCell.Stage.SOAK) {
            hold = lab.lockOrders(Side.SOURCE);
          }
          sleepUntil(inPhase + TimeUnit.SECONDS.toNanos(FaultCell.SLOW_SECONDS));
          hold.close();
        }
        case KILL_WORKER -> {
          worker.kill();
          worker.ensureRunning();
          hold.close();
        }
        case STOP_SERVER -> {
          lab.stop(repository, cell.stage().stopped);
          sleepUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(FaultCell.OUTAGE_SECONDS));
          lab.start(repository, cell.stage().stopped);
          hold.close();
        }
      }
      CutoverReport report = FaultSuiteTest.awaitReport(workflow, CELL_SECONDS);
      if (report == null) {
        endWorkflow();
      } else {
        System.out.println(
            "  "
                + cell.name()
                + ": "
                + timeline(report.timeline())
                + " manual actions "
                + report.manualActions());
      }
      return report;
    } finally {
      hold.close();
    }
  }

  /** A cutover still running when its cell gave up must not act on the next cell's databases. */
  private void endWorkflow() {
    if (workflow == null) {
      return;
    }
    try {
      WorkflowStub.fromTyped(workflow).terminate("fault suite: the cell gave up on it");
    } catch (RuntimeException alreadyEnded) {
      // it ended by itself
    }
  }

  /**
   * Drain and finalize are held by a lock that must not be there earlier (it would hold catch-up,
   * or the reverse start): the cell's gate waits for approval while the lock is taken.
   */
  private FaultLab.Hold holdAtGate(CutoverWorkflow workflow, FaultLab.Hold hold) throws Exception {
    String gate =
        switch (cell.stage()) {
          case DRAIN -> GatesSpec.QUIESCE;
          case FINALIZE -> GatesSpec.FINALIZE;
          default -> null;
        };
    if (gate == null) {
      return hold;
    }
    FaultSuiteTest.awaitStatus(
        workflow, s -> gate.equals(s.pendingGate()), "gate " + gate + " pending", 120);
    FaultLab.Hold taken =
        cell.stage() == FaultCell.Stage.DRAIN
            ? lab.lockOrders(Side.DESTINATION)
            : lab.holdFinalize();
    FaultSuiteTest.approve(workflow, gate);
    return taken;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left = nanoTime - System.nanoTime();
    if (left > 0) {
      TimeUnit.NANOSECONDS.sleep(left);
    }
  }

  // ------------------------------------------------------------------ judging the cell

  /**
   * What a user wants: a killed worker or a slow step never rolls a healthy cutover back; a stopped
   * server may end in a rollback (or, before anything changed, an abort), never in FAILED. The
   * application ends on the side the outcome says.
   */
  private void judgeOutcome(CutoverReport report) {
    Set<Outcome> allowed =
        switch (cell.fault()) {
          case KILL_WORKER, SLOW_STEP -> Set.of(Outcome.COMPLETED);
          case STOP_SERVER ->
              cell.stage() == FaultCell.Stage.CATCH_UP
                  ? Set.of(Outcome.COMPLETED, Outcome.ROLLED_BACK, Outcome.ABORTED)
                  : Set.of(Outcome.COMPLETED, Outcome.ROLLED_BACK);
        };
    if (!allowed.contains(report.outcome())) {
      problems.add(
          "ended "
              + report.outcome()
              + " ("
              + shorten(report.reason())
              + "), expected "
              + allowed.stream().map(Enum::name).sorted().toList());
    }
    Side expected = report.outcome() == Outcome.COMPLETED ? Side.DESTINATION : Side.SOURCE;
    if (report.applicationTarget() != expected) {
      problems.add(
          "the application ends on the "
              + report.applicationTarget()
              + " after "
              + report.outcome());
    }
  }

  /** The application writes on its final side for a moment: it must be able to. */
  private void awaitWrites(DemoApp app, Side target) throws InterruptedException {
    if (app.state().target() != target) {
      problems.add(
          "the report says the application points at the "
              + target
              + ", it points at the "
              + app.state().target());
    }
    long before = app.stats().acknowledged();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (app.stats().acknowledged() < before + 20) {
      if (System.nanoTime() > deadline) {
        problems.add(
            "the application cannot write after the cutover ended: "
                + app.state()
                + ", last error "
                + app.stats().lastError());
        return;
      }
      Thread.sleep(50);
    }
  }

  /**
   * Lost and duplicated rows on the side the application ends on, and the other side's rows that
   * never reached it.
   */
  private long[] rows(DemoApp app, CutoverReport report) throws Exception {
    Side target = app.state().target();
    List<String> onTarget = lab.demo().orderNumbers(target);
    Set<String> present = new HashSet<>(onTarget);
    long lost = app.acknowledgedOrders().stream().filter(o -> !present.contains(o)).count();
    long duplicated = onTarget.size() - present.size();
    if (lost > 0) {
      problems.add(lost + " acknowledged write(s) missing on the " + target);
    }
    if (duplicated > 0) {
      problems.add(duplicated + " duplicated row(s) on the " + target);
    }
    if (app.stats().failed() > 0) {
      problems.add(app.stats().failed() + " write(s) failed in the application");
    }
    if (report.outcome() == Outcome.COMPLETED || report.outcome() == Outcome.ROLLED_BACK) {
      // Whatever was written on the other side was carried over before the application came.
      long missing =
          lab.demo().orderNumbers(target.other()).stream()
              .filter(o -> !present.contains(o))
              .count();
      if (missing > 0) {
        problems.add(missing + " row(s) of the " + target.other() + " never reached the " + target);
      }
    }
    return new long[] {lost, duplicated};
  }

  /**
   * Replication objects the outcome does not call for and no manual action names, and fences in the
   * wrong state. Until the forward instance is paused the migration goes on as before (an abort, or
   * a rollback before the pause, keeps it); after the switch the side the application left stays
   * fenced (a completed cutover's old source, a rolled-back one's destination); before the switch
   * nothing but the source was ever fenced.
   */
  private List<String> leftovers(CutoverPlan plan, CutoverReport report) throws Exception {
    List<String> out = new ArrayList<>();
    String actions =
        String.join("\n", report.manualActions() == null ? List.of() : report.manualActions());
    boolean paused = ran(report, "pauseInstance");
    boolean switched = ran(report, "pointApplication");
    String forward = plan.migration().instance();
    for (String object : lab.replicationObjects()) {
      String name = object.substring(object.lastIndexOf(' ') + 1);
      boolean migrationGoesOn =
          report.outcome() != Outcome.COMPLETED && !paused && name.contains(forward);
      // A slot nobody consumes keeps WAL on its server until the disk is full: naming the
      // instance is not enough, the manual action must name the slot.
      boolean named =
          actions.contains(name) && (!object.contains(": slot ") || actions.contains("slot"));
      if (!migrationGoesOn && !named) {
        out.add(object);
      }
    }
    Side target = report.applicationTarget();
    if (!lab.applicationCanWrite(target)) {
      out.add(target.word() + ": fenced, yet the application points at it");
    }
    boolean otherFenced = report.outcome() == Outcome.COMPLETED || switched;
    if (lab.applicationCanWrite(target.other()) == otherFenced && !actions.contains("fence")) {
      out.add(target.other().word() + (otherFenced ? ": not fenced" : ": still fenced"));
    }
    return out;
  }

  private static boolean ran(CutoverReport report, String step) {
    return report.timeline().stream()
        .anyMatch(e -> e.step().equals(step) && e.outcome().equals("OK"));
  }

  /**
   * Activities that ran more than once, and why the attempt before failed: a slow step that a
   * heartbeat timeout took for a dead worker shows here even when the retry saved the cutover.
   */
  private List<String> retried(String workflowId) {
    Map<Long, String> types = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (HistoryEvent e : client.fetchHistory(workflowId).getEvents()) {
      if (e.hasActivityTaskScheduledEventAttributes()) {
        types.put(
            e.getEventId(),
            e.getActivityTaskScheduledEventAttributes().getActivityType().getName());
      } else if (e.hasActivityTaskStartedEventAttributes()) {
        var started = e.getActivityTaskStartedEventAttributes();
        if (started.getAttempt() > 1) {
          out.add(
              types.get(started.getScheduledEventId())
                  + " x"
                  + started.getAttempt()
                  + (started.hasLastFailure() ? " (" + why(started.getLastFailure()) + ")" : ""));
        }
      }
    }
    return out;
  }

  private static String why(Failure f) {
    if (f.hasTimeoutFailureInfo()) {
      return f.getTimeoutFailureInfo()
              .getTimeoutType()
              .name()
              .replace("TIMEOUT_TYPE_", "")
              .toLowerCase()
          + " timeout";
    }
    String m = f.getMessage();
    return m.length() > 70 ? m.substring(0, 67) + "..." : m;
  }

  private static String shorten(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 160 ? s.substring(0, 157) + "..." : s;
  }

  private static String timeline(List<TimelineEntry> t) {
    return t.stream()
        .map(
            e ->
                e.step()
                    + ":"
                    + e.outcome()
                    + ":"
                    + (e.endedAtMillis() > 0
                        ? (e.endedAtMillis() - e.startedAtMillis()) + "ms"
                        : "-"))
        .toList()
        .toString();
  }
}
