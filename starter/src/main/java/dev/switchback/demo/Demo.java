package dev.switchback.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.SecretScope;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.codec.PayloadKeys;
import io.temporal.client.WorkflowClient;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The demo: a real cutover of a database that is written to the whole time. It starts the lab
 * servers with the project's scripts, creates the forward migration instance, runs the demo
 * application at a steady write rate, runs the worker against an embedded Temporal server, starts
 * the {@code Cutover} workflow, and at the end checks every acknowledged write against the side the
 * application ends on.
 */
public final class Demo {
  private final DemoLab lab;
  private final DemoOptions options;
  private final PrintStream progress;
  private final Path repository;

  public Demo(DemoLab lab, DemoOptions options, Path repository, PrintStream progress) {
    this.lab = lab;
    this.options = options;
    this.repository = repository;
    this.progress = progress;
  }

  /** The labs by engine name. */
  public static DemoLab lab(String engine) {
    return switch (engine) {
      case "postgres" -> new PostgresDemoLab();
      case "mariadb" -> new MariaDbDemoLab();
      case "redis" -> new RedisDemoLab();
      default ->
          throw new IllegalArgumentException(
              "--engine " + engine + " has no demo; use postgres, mariadb or redis");
    };
  }

  /**
   * What a demo run measured.
   *
   * @param outcome how the cutover ended
   * @param reason why it rolled back or failed
   * @param writeOutageMs fence to resume, as the workflow measured it
   * @param clientMaxStallMs the longest a write of the demo application waited for its ack
   * @param acknowledgedWrites writes the demo application got an ack for
   * @param failedWrites writes that never committed (must be 0)
   * @param applicationTarget the side the application ends on
   * @param lostRows acknowledged writes missing from that side (rows, or keys for Redis: {@link
   *     DemoLab#unit()})
   * @param duplicateRows order numbers present more than once on that side (a Redis key cannot be
   *     present twice, so there it is 0 by construction)
   * @param sourceRows orders on the source at the end
   * @param destinationRows orders on the destination at the end
   * @param carriedBackMissing for a rollback: orders written on the destination that are not on the
   *     source (must be 0); for a completed cutover: orders on the source that are not on the
   *     destination (must be 0)
   * @param report the workflow's report
   */
  public record Result(
      Outcome outcome,
      String reason,
      long writeOutageMs,
      long clientMaxStallMs,
      long acknowledgedWrites,
      long failedWrites,
      Side applicationTarget,
      long lostRows,
      long duplicateRows,
      long sourceRows,
      long destinationRows,
      long carriedBackMissing,
      List<TimelineEntry> timeline,
      CutoverReport report) {}

  /** Runs the demo; {@code historyFile}, when set, receives the workflow history as JSON. */
  public Result run(Path historyFile) throws Exception {
    lab.startServers(repository, progress);
    try (Connections connections = new Connections(new Secrets(System.getenv(), scope()))) {
      Prepared prepared = prepare(connections);
      DemoApp app = prepared.app();
      try {
        CutoverPlan plan = prepared.validated();
        try (SwitchbackWorker worker = DemoCutover.startWorker(options, progress)) {
          CutoverReport report = cutover(worker.client(), plan, worker.embeddedAddress());
          if (historyFile != null) {
            Files.writeString(
                historyFile, worker.client().fetchHistory(plan.workflowId()).toJson(true));
          }
          // Let the application write on its final side for a moment, then stop it: every write it
          // got an ack for must be there.
          Thread.sleep(1000);
          app.close();
          return result(report, app.stats(), app.acknowledgedOrders());
        }
      } finally {
        app.close();
      }
    }
  }

  /**
   * What the demo application saw, checked against the tables once it stopped.
   *
   * @param applicationTarget the side the application pointed at when it stopped
   * @param acknowledgedWrites writes it got an ack for
   * @param failedWrites writes that never committed (must be 0)
   * @param lostRows acknowledged writes missing from the side it points at
   * @param duplicateRows order numbers present more than once on that side
   * @param otherSideRowsMissing orders on the other side that are not on the side it points at
   *     (must be 0 whatever happened: the forward instance carries the source to the destination,
   *     the reverse instance carries the destination back)
   * @param clientMaxStallMs the longest a write waited for its ack
   */
  public record Witness(
      Side applicationTarget,
      long acknowledgedWrites,
      long failedWrites,
      long lostRows,
      long duplicateRows,
      long otherSideRowsMissing,
      long clientMaxStallMs) {
    /** No write failed, was lost or was duplicated, and nothing is missing on the final side. */
    public boolean clean() {
      return failedWrites == 0 && lostRows == 0 && duplicateRows == 0 && otherSideRowsMissing == 0;
    }
  }

  /**
   * Prepares a cutover for a client that is not this process ({@code demo --prepare-only}): the lab
   * servers, the demo database on both sides, the forward instance caught up and the demo
   * application writing, then writes the plan (YAML, as an operator writes one) to {@code planOut}.
   * Starts no worker and no workflow: the caller runs those. The application keeps writing until
   * {@code stop} is released; then its acknowledged writes are checked against the side it ends on.
   */
  public Witness prepareOnly(Path planOut, CountDownLatch stop) throws Exception {
    lab.startServers(repository, progress);
    try (Connections connections = new Connections(new Secrets(System.getenv(), scope()))) {
      Prepared prepared = prepare(connections);
      DemoApp app = prepared.app();
      try {
        CutoverPlan plan = prepared.plan();
        // Written whole under another name, then moved: whoever waits for the file never reads
        // half a plan.
        Path tmp = planOut.resolveSibling(planOut.getFileName() + ".tmp");
        new ObjectMapper(new YAMLFactory()).writeValue(tmp.toFile(), plan);
        Files.move(
            tmp, planOut, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        progress.println(
            "plan "
                + plan.name()
                + " written to "
                + planOut
                + " (workflow id "
                + plan.workflowId()
                + ", approvers "
                + plan.approverNames()
                + "); the application keeps writing until stopped (Ctrl-C)");
        stop.await();
        app.close();
        Side target = app.state().target();
        Set<String> acknowledged = app.acknowledgedOrders();
        DemoApp.Stats stats = app.stats();
        List<String> onTarget = lab.orderNumbers(target);
        Set<String> present = new HashSet<>(onTarget);
        long missing =
            lab.orderNumbers(target.other()).stream().filter(o -> !present.contains(o)).count();
        return new Witness(
            target,
            stats.acknowledged(),
            stats.failed(),
            acknowledged.stream().filter(o -> !present.contains(o)).count(),
            onTarget.size() - present.size(),
            missing,
            stats.longestStallMs());
      } finally {
        app.close();
      }
    }
  }

  /**
   * The demo application writing on the source and its plan, as written and with defaults.
   *
   * @param plan the plan as the lab wrote it (what an operator's file holds)
   * @param validated the same with the defaults filled in
   */
  private record Prepared(DemoApp app, CutoverPlan plan, CutoverPlan validated) {}

  /**
   * The demo database on both sides, the demo application writing on the source, the forward
   * instance created and caught up. The application is closed if a later step fails.
   */
  /**
   * The demo's worker scope: the labs write their secret files under the temporary directory (a
   * test's too), so the demo's own worker reads files there, and environment variables with the
   * usual prefix. A production worker reads its scope from its environment ({@link
   * SecretScope#fromEnvironment}); this one is a lab on one machine.
   */
  static SecretScope scope() {
    return SecretScope.of(
        SecretScope.DEFAULT_PREFIX,
        List.of(Path.of(System.getProperty("java.io.tmpdir"))),
        Map.of());
  }

  /**
   * The payload keys {@code env} configures for the demo's worker, checked against the demo's own
   * scope (a key under the temporary directory would be within its plans' reach).
   *
   * @throws IllegalArgumentException naming the setting when a key is configured wrongly
   */
  public static PayloadKeys payloadKeys(Map<String, String> env) {
    return PayloadKeys.fromEnvironment(env, scope());
  }

  private Prepared prepare(Connections connections) throws Exception {
    progress.println("lab: preparing the " + lab.engine() + " demo database on both sides");
    lab.prepare(connections);
    DemoApp app = lab.startApplication(options.writers(), options.ratePerSecond());
    try {
      progress.printf(
          "demo application: %d writers, %.0f writes/s, router %s%n",
          options.writers(), options.ratePerSecond(), app.routerUrl());
      CutoverPlan plan = lab.plan(options, app.routerUrl(), app.routerSigningKey());
      CutoverPlan validated = PlanValidator.validate(plan);
      lab.createForward(connections, validated, progress);
      return new Prepared(app, plan, validated);
    } catch (Exception | Error e) {
      app.close();
      throw e;
    }
  }

  private CutoverReport cutover(WorkflowClient client, CutoverPlan plan, String address)
      throws Exception {
    DemoCutover cutover = DemoCutover.start(client, plan, progress);
    progress.println(
        "cutover "
            + plan.workflowId()
            + " started"
            + (options.rollback() ? " (a smoke test will fail: expect a rollback)" : ""));
    if (options.interactive()) {
      progress.println(
          "gates wait for you (a lab: approvals: unsigned, by name; docs/security.md):"
              + " ./switchback approve GATE --by "
              + options.approver()
              + " --id "
              + plan.workflowId()
              + " --address "
              + address
              + "   (or temporal workflow signal --address "
              + address
              + " --workflow-id "
              + plan.workflowId()
              + " --name approve --input '{\"gate\":\"quiesce\",\"by\":\""
              + options.approver()
              + "\"}')");
    }
    // Interactive gates wait for a person: as long as the gates' own timeouts allow.
    return cutover.awaitResult(Duration.ofDays(1));
  }

  private Result result(CutoverReport report, DemoApp.Stats stats, Set<String> acknowledged)
      throws Exception {
    Side target = report.applicationTarget();
    List<String> source = lab.orderNumbers(Side.SOURCE);
    List<String> destination = lab.orderNumbers(Side.DESTINATION);
    List<String> onTarget = target == Side.SOURCE ? source : destination;
    Set<String> present = new HashSet<>(onTarget);
    long lost = acknowledged.stream().filter(o -> !present.contains(o)).count();
    long duplicates = onTarget.size() - present.size();
    // Where the application left its writes must be on the other side too: the forward instance
    // carried the source's writes before the switch, the reverse one carried the destination's
    // back on a rollback.
    Set<String> sourceSet = new HashSet<>(source);
    Set<String> destinationSet = new HashSet<>(destination);
    long carriedMissing =
        report.outcome() == Outcome.ROLLED_BACK
            ? destinationSet.stream().filter(o -> !sourceSet.contains(o)).count()
            : report.outcome() == Outcome.COMPLETED
                ? sourceSet.stream().filter(o -> !destinationSet.contains(o)).count()
                : -1;
    return new Result(
        report.outcome(),
        report.reason(),
        report.writeOutageMs(),
        stats.longestStallMs(),
        stats.acknowledged(),
        stats.failed(),
        target,
        lost,
        duplicates,
        source.size(),
        destination.size(),
        carriedMissing,
        report.timeline(),
        report);
  }
}
