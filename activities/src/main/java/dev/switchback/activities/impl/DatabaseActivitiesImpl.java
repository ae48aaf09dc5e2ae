package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.Support.ms;
import static dev.switchback.activities.impl.Support.nonRetryable;
import static dev.switchback.activities.impl.Support.sessions;
import static dev.switchback.activities.impl.Support.state;
import static dev.switchback.activities.impl.Support.threshold;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.activities.support.ApproverTrust;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.Thresholds;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/** The database endpoints' steps, for any engine: preflight, fence, session check, revoke. */
public final class DatabaseActivitiesImpl implements DatabaseActivities {
  private final Registry registry;
  private final Connections connections;
  private final WaitClock clock;
  private final Duration pollInterval;
  private volatile ApproverTrust approverTrust;

  public DatabaseActivitiesImpl(Registry registry, Connections connections) {
    this(registry, connections, WaitClock.SYSTEM, Support.DEFAULT_POLL_INTERVAL);
  }

  public DatabaseActivitiesImpl(
      Registry registry, Connections connections, WaitClock clock, Duration pollInterval) {
    this.registry = registry;
    this.connections = connections;
    this.clock = clock;
    this.pollInterval = pollInterval;
  }

  /**
   * The approvers this worker trusts; without a call, {@code SWITCHBACK_TRUSTED_APPROVERS} of the
   * worker's environment, read at every preflight.
   */
  public DatabaseActivitiesImpl trustApprovers(ApproverTrust trust) {
    this.approverTrust = trust;
    return this;
  }

  /**
   * Every check runs even when an earlier one fails, so the operator fixes everything in one go.
   * Nothing here changes anything: engines, provider and router are only looked at. The checks run
   * at once, so an unreachable endpoint costs one connection timeout, not one per check.
   */
  @Override
  public PreflightReport preflight(String cutoverId, CutoverPlan plan) {
    Secrets secrets = connections.secrets();
    List<PlanProblem> outOfScope = secrets.problems(plan.withDefaults());
    PreflightCheck scope =
        new PreflightCheck(
            SECRET_SCOPE,
            outOfScope.isEmpty(),
            outOfScope.isEmpty()
                ? "every secret the plan names is within this worker's scope"
                : outOfScope.stream().map(PlanProblem::toString).collect(Collectors.joining("; ")));
    if (!outOfScope.isEmpty()) {
      // Nothing else runs: every other check connects somewhere, and a secret outside its scope
      // must not be read, nor one sent to an endpoint it is not bound to.
      return new PreflightReport(false, List.of(redacted(secrets, scope)));
    }
    try (Checks checks = new Checks()) {
      addChecks(checks, cutoverId, plan);
      List<PreflightCheck> all = new ArrayList<>();
      all.add(scope);
      // Engines and drivers put what they were told into their messages.
      checks.results().forEach(c -> all.add(redacted(secrets, c)));
      return new PreflightReport(all.stream().allMatch(PreflightCheck::ok), List.copyOf(all));
    }
  }

  /** The name of the preflight check that keeps a plan's secrets within the worker's scope. */
  public static final String SECRET_SCOPE = "secrets within the worker's scope";

  private static PreflightCheck redacted(Secrets secrets, PreflightCheck c) {
    return c.withDetail(secrets.redact(c.detail()));
  }

  private void addChecks(Checks checks, String cutoverId, CutoverPlan plan) {
    one(
        checks,
        "plan valid",
        () -> {
          List<PlanProblem> problems = PlanValidator.problems(plan.withDefaults());
          return new PreflightCheck(
              "",
              problems.isEmpty(),
              problems.isEmpty()
                  ? "no problem found"
                  : problems.stream().map(PlanProblem::toString).collect(Collectors.joining("; ")));
        });
    one(
        checks,
        ApproverTrust.CHECK,
        () -> {
          ApproverTrust trust = approverTrust;
          return (trust == null ? ApproverTrust.fromEnvironment(System.getenv()) : trust)
              .check(plan.withDefaults());
        });
    for (Side side : Side.values()) {
      many(
          checks,
          side.word() + " engine",
          () -> {
            DatabaseEngine engine = engine(plan, side);
            return engine.preflight(engineContext(cutoverId, plan, side)).stream()
                .map(c -> c.withCheck(side.word() + ": " + c.check()))
                .toList();
          });
    }
    MigrationContext mctx = new MigrationContext(cutoverId, plan, connections);
    many(checks, "migration provider", () -> provider(plan).preflight(mctx));
    transport(checks, plan, mctx);
    one(
        checks,
        "forward instance exists and is RUNNING (or COMPLETED without incremental stage)",
        () -> {
          InstanceState s = provider(plan).describe(mctx, Direction.FORWARD);
          boolean ok = s.running() || ("COMPLETED".equals(s.status()) && !s.incremental());
          return new PreflightCheck(
              "",
              ok,
              ok
                  ? state(s)
                  : "the forward instance '"
                      + plan.migration().instance()
                      + "' is "
                      + state(s)
                      + "; the seed requires it Running (or Completed when it has no incremental"
                      + " stage). Fix migration.instance or the instance first.");
        });
    reverseInstance(checks, plan, mctx);
    if (plan.validation() != null) {
      one(
          checks,
          "data validation can run",
          () -> new PreflightCheck("", true, new DataValidator().preflight(connections, plan)));
    }
    many(
        checks,
        "router",
        () ->
            registry.router(plan.router().type()).preflight(cutoverId, plan).stream()
                .map(c -> c.withCheck("router: " + c.check()))
                .toList());
    one(
        checks,
        "router state reachable",
        () -> {
          TrafficRouter router = registry.router(plan.router().type());
          RouterState r = router.state(cutoverId, plan);
          boolean ok = r.target() != Side.DESTINATION;
          return new PreflightCheck(
              "",
              ok,
              ok
                  ? r.detail()
                  : "the router says the application already points at the destination ("
                      + r.detail()
                      + "); a cutover starts with the application on the source.");
        });
  }

  /**
   * A reverse instance the provider will create must not exist yet (a leftover would be taken for
   * this cutover's rollback path); one the plan adopts must exist, and must not write yet: it is
   * started only after the forward instance is paused.
   */
  private void reverseInstance(Checks checks, CutoverPlan plan, MigrationContext mctx) {
    String adopted;
    try {
      adopted = provider(plan).adoptedReverseInstance(mctx);
    } catch (RuntimeException e) {
      // A provider that cannot read its options says so in its own checks.
      adopted = null;
    }
    if (adopted != null) {
      String id = adopted;
      one(
          checks,
          "reverse instance given by the plan is there and not writing yet",
          () -> {
            InstanceState s = provider(plan).describe(mctx, Direction.REVERSE);
            boolean ok = s.paused() || "STARTING".equals(s.status());
            return new PreflightCheck(
                "",
                ok,
                ok
                    ? "'"
                        + id
                        + "' is "
                        + state(s)
                        + "; it is started as the reverse instance once the forward instance is"
                        + " paused"
                    : "the reverse instance '"
                        + id
                        + "' the plan gives is "
                        + state(s)
                        + "; it must exist, paused and not writing, before the cutover starts"
                        + " (a reverse instance that writes now would carry the destination"
                        + " back into the source while the application still writes there)."
                        + " Fix the id in the plan, or leave it out so that Switchback creates"
                        + " the reverse instance.");
          });
      return;
    }
    one(
        checks,
        "reverse instance not there yet",
        () -> {
          InstanceState s = provider(plan).describe(mctx, Direction.REVERSE);
          boolean ok = "NOT_FOUND".equals(s.status());
          return new PreflightCheck(
              "",
              ok,
              ok
                  ? "'" + plan.migration().reverseInstance() + "' is free"
                  : "an instance named '"
                      + plan.migration().reverseInstance()
                      + "' already exists ("
                      + state(s)
                      + "); a leftover would be taken for this cutover's rollback path."
                      + " Terminate it, or set migration.reverseInstance to another name.");
        });
  }

  /**
   * What crosses the wire in clear: the worker's admin connections (read from the URLs) and the
   * replication links between the servers (docs/security.md, "Transport").
   */
  private void transport(Checks checks, CutoverPlan plan, MigrationContext mctx) {
    one(checks, TransportChecks.POLICY_CHECK, () -> TransportChecks.policy(plan));
    for (Side side : Side.values()) {
      one(
          checks,
          side.word() + ": transport",
          () ->
              TransportChecks.check(
                  engine(plan, side).transport(side.word(), plan.endpoint(side)), plan));
    }
    many(
        checks,
        "replication links: transport",
        () -> TransportChecks.checks(provider(plan).links(mctx), plan));
  }

  /** Preflight checks running side by side, reported in the order they were added. */
  private static final class Checks implements AutoCloseable {
    private final ExecutorService pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "switchback-preflight");
              t.setDaemon(true);
              return t;
            });
    private final List<String> names = new ArrayList<>();
    private final List<Future<List<PreflightCheck>>> running = new ArrayList<>();

    void add(String name, Supplier<List<PreflightCheck>> check) {
      names.add(name);
      running.add(pool.submit(check::get));
    }

    /** Waits for every check, heartbeating meanwhile when running as an activity. */
    List<PreflightCheck> results() {
      List<PreflightCheck> out = new ArrayList<>();
      for (int i = 0; i < running.size(); i++) {
        while (true) {
          try {
            out.addAll(running.get(i).get(1, TimeUnit.SECONDS));
            break;
          } catch (TimeoutException e) {
            heartbeat("preflight: waiting for " + names.get(i));
          } catch (ExecutionException e) {
            out.add(new PreflightCheck(names.get(i), false, "failed: " + message(e.getCause())));
            break;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("preflight interrupted", e);
          }
        }
      }
      return List.copyOf(out);
    }

    @Override
    public void close() {
      pool.shutdownNow();
    }
  }

  private static void one(Checks out, String name, Supplier<PreflightCheck> check) {
    many(
        out,
        name,
        () -> {
          PreflightCheck c = check.get();
          return List.of(c.withCheck(name));
        });
  }

  private static void many(Checks out, String name, Supplier<List<PreflightCheck>> checks) {
    out.add(
        name,
        () -> {
          try {
            return checks.get();
          } catch (RuntimeException e) {
            return List.of(new PreflightCheck(name, false, "failed: " + message(e)));
          }
        });
  }

  /**
   * Heartbeats when running as an activity; {@code switchback plan check} runs the same preflight
   * in-process, outside any activity, where there is nothing to heartbeat to.
   */
  private static void heartbeat(String details) {
    ActivityExecutionContext context;
    try {
      context = Activity.getExecutionContext();
    } catch (IllegalStateException outsideAnActivity) {
      return;
    }
    context.heartbeat(details);
  }

  private static String message(Throwable e) {
    StringBuilder b =
        new StringBuilder(
            e instanceof ApplicationFailure a
                ? String.valueOf(a.getOriginalMessage())
                : String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
        b.append(" (").append(c.getMessage()).append(')');
      }
    }
    return b.toString();
  }

  @Override
  public FenceResult fenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    return engine(plan, side).fenceWrites(engineContext(cutoverId, plan, side));
  }

  @Override
  public FenceResult unfenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    return engine(plan, side).unfenceWrites(engineContext(cutoverId, plan, side));
  }

  @Override
  public SessionReport checkSessions(String cutoverId, CutoverPlan plan, Side side) {
    Duration timeout = threshold(plan, "sessionCheckTimeout", Thresholds::sessionCheckTimeout);
    DatabaseEngine engine = engine(plan, side);
    EngineContext ctx = engineContext(cutoverId, plan, side);
    Waiter wait = Waiter.start(clock, pollInterval, "checkSessions-" + side, timeout);
    while (true) {
      DatabaseEngine.Sessions s = engine.listSessions(ctx);
      if (s.writers().isEmpty()) {
        return new SessionReport(
            side, List.of(), s.others().size(), s.excluded(), wait.elapsedMs());
      }
      if (wait.expired()) {
        throw nonRetryable(
            FailureTypes.WRITERS_REMAIN,
            s.writers().size()
                + " application write session(s) remain on the "
                + side.word()
                + " "
                + ms(wait.elapsedMs())
                + " after the fence (thresholds.sessionCheckTimeout "
                + ms(timeout)
                + "): "
                + sessions(s.writers())
                + ". Stop the application process that holds them or end them on the "
                + side.word()
                + "; if they belong to an account the fence does not cover, list it in "
                + side.word()
                + ".applicationAccounts.");
      }
      wait.beat(
          wait.progress(
              null,
              null,
              0,
              null,
              s.writers().size()
                  + " writer(s) remain on the "
                  + side.word()
                  + ": "
                  + sessions(s.writers())));
      wait.pause();
    }
  }

  @Override
  public String revokeMigrationAccount(String cutoverId, CutoverPlan plan) {
    MigrationAccountSpec account = plan.migrationAccount();
    if (account == null || account.user() == null || account.user().isBlank()) {
      return "no migrationAccount.user in the plan: nothing revoked";
    }
    if (!account.revoke()) {
      return "skipped: migrationAccount.revokeAtFinalize is false; '"
          + account.user()
          + "' keeps its write privileges";
    }
    // Each side is revoked even when the other fails: a failure there must not leave this one's
    // migration account writing. The step fails when either side did, naming both outcomes.
    List<String> done = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    RuntimeException retryable = null;
    String type = null;
    for (Side side : Side.values()) {
      try {
        String r =
            engine(plan, side).revokeWrite(engineContext(cutoverId, plan, side), account.user());
        done.add(side.word() + ": " + r);
      } catch (ApplicationFailure e) {
        if (!e.isNonRetryable()) {
          retryable = retryable == null ? e : retryable;
        }
        type =
            type == null || type.equals(e.getType()) ? e.getType() : FailureTypes.WRITE_PATHS_LEFT;
        failed.add(e.getOriginalMessage()); // engines name the side in their failures
      } catch (RuntimeException e) {
        retryable = retryable == null ? e : retryable;
        failed.add(e.getMessage());
      }
    }
    if (retryable != null) {
      // A server that may answer on the next attempt: the whole step is tried again (a revoke
      // is idempotent).
      throw retryable;
    }
    if (!failed.isEmpty()) {
      throw nonRetryable(
          type,
          String.join("; ", failed)
              + (done.isEmpty() ? "" : "; the other side held: " + String.join("; ", done)));
    }
    return String.join("; ", done);
  }

  private DatabaseEngine engine(CutoverPlan plan, Side side) {
    return registry.engine(plan.endpoint(side).engine());
  }

  private MigrationProvider provider(CutoverPlan plan) {
    return registry.provider(plan.migration().provider());
  }

  private EngineContext engineContext(String cutoverId, CutoverPlan plan, Side side) {
    return new EngineContext(cutoverId, plan, side, connections);
  }
}
