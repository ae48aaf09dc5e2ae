package dev.switchback.workflow;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.RouterActivities;
import dev.switchback.activities.VerificationActivities;
import dev.switchback.approval.SignedText;
import dev.switchback.messages.commands.AbortRequest;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.messages.commands.RequestLimits;
import dev.switchback.messages.commands.RollbackRequest;
import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.RequestSignature;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.InvalidPlanException;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanValidator;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;

/**
 * The seed's procedure as a compensating saga. {@link #run} reads like the runbook: one call per
 * step, each step a short method named after it. Before the switch a failure or a rollback request
 * undoes what was done in reverse (lift the fence, resume on the source); after the switch a
 * rollback is the cutover run the other way (DESIGN.md section 2), never a naive reverse list.
 */
public class CutoverWorkflowImpl implements CutoverWorkflow {
  public static final SearchAttributeKey<String> PHASE =
      SearchAttributeKey.forKeyword("SwitchbackPhase");
  public static final SearchAttributeKey<String> OUTCOME =
      SearchAttributeKey.forKeyword("SwitchbackOutcome");
  private static final String SYSTEM = "switchback";

  /** Workflow version change: Redis attaches the reverse instance before its fence is lifted. */
  static final String REDIS_REVERSE_UNDER_FENCE = "redis-reverse-under-fence";

  /** Workflow version change: the plan is checked when a cutover starts, never on replay. */
  static final String PLAN_CHECKED_AT_START = "plan-checked-at-start";

  /** Workflow version change: a soak looks at the reverse instance at most ~48 times. */
  static final String BOUNDED_SOAK_TICKS = "bounded-soak-ticks";

  /** Workflow version change: a rollback ends the paused forward instance. */
  static final String END_FORWARD_ON_ROLLBACK = "end-forward-on-rollback";

  /** Workflow version change: a fence only a worker can hold is lifted when a rollback ends. */
  static final String LIFT_WORKER_FENCE_ON_ROLLBACK = "lift-worker-fence-on-rollback";

  /**
   * Workflow version change: approvers listed with a public key approve only with a verified
   * signature; rollback and abort requests record whether their claimed name was verified.
   */
  static final String SIGNED_APPROVALS = PlanValidator.SIGNED_APPROVALS;

  /** Workflow version change: request texts are bounded and rejected signals capped. */
  static final String BOUNDED_SIGNALS = "bounded-signals";

  /**
   * At most this many looks at the reverse instance in a soak, so history does not grow with it.
   */
  private static final int SOAK_LOOKS = 48;

  private static final Logger log = Workflow.getLogger(CutoverWorkflowImpl.class);

  private CutoverPlan plan;
  private String cutoverId;
  private Phase phase = Phase.PREFLIGHT;
  private String pendingGate;
  private final List<TimelineEntry> timeline = new ArrayList<>();
  private final List<GateDecision> approvals = new ArrayList<>();
  private final Set<String> approvedGates = new LinkedHashSet<>();
  private Long forwardLatencyMs;
  private Long reverseLatencyMs;
  private Side applicationTarget = Side.SOURCE;

  // What has been done, so a rollback undoes exactly that (and the report says where things are).
  private boolean writesStopped;
  // Set once the first write stopped: from then on the way out is a rollback, never an abort.
  private boolean changed;
  private long writesStoppedAt;
  private long writeOutageMs;
  private boolean appQuiesced;
  private boolean sourceFenced;
  private boolean forwardPaused;
  private boolean reverseStarting;
  private boolean switchStarted;
  private boolean destinationFenced;
  private boolean finalizing;

  private RollbackRequest rollbackRequest;
  private AbortRequest abortRequest;
  // Who asked for the rollback or abort, as the timeline says it (with whether it was verified).
  private String requestedIdentity;
  private CancellationScope interruptibleStep;
  private Outcome outcome;
  private String reason;
  private String requestedBy;
  private TestReport testReport;
  private ValidationReport validationReport;
  private final List<String> manualActions = new ArrayList<>();
  private final List<String> finalizeProblems = new ArrayList<>();
  private final RequestRules requests = new RequestRules();
  private CutoverMetrics metrics;

  @Override
  public CutoverReport run(CutoverPlan input) {
    // Before anything else, so the markers sit at the same place in every new history.
    requests.readVersions();
    try {
      plan = checkedPlan(input);
    } catch (InvalidPlanException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), FailureTypes.INVALID_PLAN);
    }
    cutoverId = Workflow.getInfo().getWorkflowId();
    if (!plan.workflowId().equals(cutoverId)) {
      throw ApplicationFailure.newNonRetryableFailure(
          "workflow id '"
              + cutoverId
              + "' does not match the plan: start it as '"
              + plan.workflowId()
              + "' (one cutover per plan name at a time)",
          FailureTypes.INVALID_PLAN);
    }
    metrics = CutoverMetrics.started(plan.name(), phase, now());
    try {
      preflight();
      catchUp();
      gate(GatesSpec.QUIESCE);
      stopWrites();
      verifyQuiesced();
      drainAndPause();
      syncSequences(Direction.FORWARD);
      startReverse();
      gate(GatesSpec.SWITCH);
      switchTraffic();
      test();
      soak();
      gate(GatesSpec.FINALIZE);
      finalizeCutover();
      if (!finalizeProblems.isEmpty()) {
        reason =
            "finalize incomplete: "
                + String.join(", ", finalizeProblems)
                + " failed; the application runs on the destination (see manual actions)";
      }
      return finish(Outcome.COMPLETED);
    } catch (StopRequested stop) {
      return stop(stop.getMessage(), stop.by);
    } catch (ActivityFailure | CanceledFailure e) {
      // CanceledFailure: the workflow itself was cancelled (temporal workflow cancel): roll back.
      String why = e instanceof CanceledFailure ? "the workflow was cancelled" : Failures.reason(e);
      String by = e instanceof CanceledFailure ? "temporal-cancel" : SYSTEM;
      return stop(why, by);
    } catch (RuntimeException e) {
      // A defect in this code must not leave the workflow task retrying forever while the source
      // is fenced: undo what was done, as for any failure, and say what broke.
      rethrowNonDeterminism(e);
      log.error("internal error in the cutover workflow", e);
      return stop("internal error in the workflow (" + e + "); rolled back to be safe", SYSTEM);
    }
  }

  /**
   * The plan as the cutover runs it. It is checked when the cutover starts; a cutover already
   * running passed the checks of its day, so a check added later must not make its replay fail
   * after a worker upgrade (it would be stuck, rollback path included): it only gets defaults.
   */
  private static CutoverPlan checkedPlan(CutoverPlan input) {
    if (Workflow.getVersion(PLAN_CHECKED_AT_START, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      return input == null ? PlanValidator.validate(null) : input.withDefaults();
    }
    return PlanValidator.validate(input);
  }

  /** Non-determinism is a deployment problem: the task must fail and wait for the right code. */
  private static void rethrowNonDeterminism(RuntimeException e) {
    if (e instanceof io.temporal.worker.NonDeterministicException) {
      throw e;
    }
  }

  // ---------------------------------------------------------------- steps (the seed's procedure)

  private void preflight() {
    enter(Phase.PREFLIGHT);
    PreflightReport report =
        step(
            "preflight",
            () -> database(Duration.ofMinutes(2)).preflight(cutoverId, plan),
            r -> summary(r));
    if (!report.ok()) {
      String failed =
          report.checks().stream()
              .filter(c -> !c.ok())
              .map(c -> c.check() + ": " + c.detail())
              .collect(Collectors.joining("; "));
      throw new StopRequested("preflight failed: " + failed, SYSTEM);
    }
  }

  private void catchUp() {
    enter(Phase.CATCH_UP);
    Duration deadline = duration(plan.thresholds().catchUpTimeout());
    InstanceState state =
        step(
            "catchUp",
            () -> interruptible(() -> migration(deadline).checkLatency(cutoverId, plan)),
            s -> "latency " + latency(s) + " (" + s.status() + ")");
    forwardLatencyMs = state.latencyMs();
  }

  private void stopWrites() {
    enter(Phase.STOPPING_WRITES);
    // From here on something has changed: every path out goes through a compensation.
    changed = true;
    writesStopped = true;
    writesStoppedAt = Workflow.currentTimeMillis();
    appQuiesced = true;
    step("quiesceApplication", () -> router().quiesceApplication(cutoverId, plan), r -> r.detail());
    sourceFenced = true;
    step(
        "fenceWrites",
        () -> database(Duration.ofMinutes(2)).fenceWrites(cutoverId, plan, Side.SOURCE),
        f -> f.method() + ", " + f.terminatedSessions() + " session(s) ended");
  }

  private void verifyQuiesced() {
    enter(Phase.VERIFYING_QUIESCE);
    Duration deadline = duration(plan.thresholds().sessionCheckTimeout());
    step(
        "checkSessions",
        () ->
            interruptible(() -> databaseRead(deadline).checkSessions(cutoverId, plan, Side.SOURCE)),
        CutoverWorkflowImpl::sessions);
    checkStop();
  }

  private void drainAndPause() {
    enter(Phase.DRAINING);
    DrainProof proof = drain(Direction.FORWARD, "awaitDrained");
    forwardLatencyMs = 0L;
    checkStop();
    forwardPaused = true;
    Duration deadline = duration(plan.thresholds().instanceTimeout());
    step(
        "pauseInstance",
        () -> migrationStep(deadline).pauseInstance(cutoverId, plan, Direction.FORWARD),
        s -> s.instance() + " " + s.status() + detail(s.detail()));
    log.info("forward instance drained ({}) and paused", proof.method());
  }

  private void syncSequences(Direction direction) {
    enter(direction == Direction.FORWARD ? Phase.SYNCING_SEQUENCES : phase);
    step(
        direction == Direction.FORWARD ? "syncSequences" : "syncSequencesBack",
        () -> migrationStep(Duration.ofMinutes(5)).syncSequences(cutoverId, plan, direction),
        r -> r.synced() + " synced" + detail(r.detail()));
  }

  /**
   * The plan's choice, except for Redis cutovers started before Redis attached the reverse instance
   * under the fence (workflow version 1): they replay the old order, unfence first.
   */
  private boolean reverseWritesThroughFence() {
    MigrationSpec m = plan.migration();
    if ("redis".equals(m.provider()) && m.option("reverseWritesThroughFence", null) == null) {
      return Workflow.getVersion(REDIS_REVERSE_UNDER_FENCE, Workflow.DEFAULT_VERSION, 1)
          != Workflow.DEFAULT_VERSION;
    }
    return m.reverseWritesThroughFence();
  }

  private void startReverse() {
    enter(Phase.STARTING_REVERSE);
    if (!reverseWritesThroughFence()) {
      // The seed: lift the source's write restriction so the reverse instance can write. The
      // application stays quiesced by the router, so nothing else writes meanwhile.
      step(
          "unfenceSourceForReverse",
          () -> database(Duration.ofMinutes(2)).unfenceWrites(cutoverId, plan, Side.SOURCE),
          f -> f.method());
      sourceFenced = false;
    }
    reverseStarting = true;
    Duration deadline = duration(plan.thresholds().instanceTimeout());
    InstanceState state =
        step(
            "startReverseIncremental",
            () -> migrationStep(deadline).startReverseIncremental(cutoverId, plan),
            s -> s.instance() + " " + s.status() + detail(s.detail()));
    reverseLatencyMs = state.latencyMs();
    checkStop();
  }

  private void switchTraffic() {
    enter(Phase.SWITCHING);
    switchStarted = true;
    step(
        "pointApplication",
        () -> router().pointApplication(cutoverId, plan, Side.DESTINATION),
        r -> r.detail());
    applicationTarget = Side.DESTINATION;
    step("resumeApplication", () -> router().resumeApplication(cutoverId, plan), this::resumed);
    appQuiesced = false;
    writesResumed(CutoverMetrics.FORWARD);
  }

  private void test() {
    enter(Phase.TESTING);
    testReport =
        step(
            "runTests",
            () ->
                interruptible(() -> verification(Duration.ofMinutes(10)).runTests(cutoverId, plan)),
            r -> r.results().size() + " test(s), " + (r.passed() ? "all passed" : "FAILED"));
    if (!testReport.passed()) {
      String failed =
          testReport.results().stream()
              .filter(r -> !r.passed())
              .map(r -> r.name() + ": " + r.detail())
              .collect(Collectors.joining("; "));
      markLastFailed();
      throw new StopRequested("smoke test failed: " + failed, SYSTEM);
    }
    if (plan.validation() != null) {
      validationReport =
          step(
              "validateData",
              () ->
                  interruptible(
                      () -> verification(Duration.ofHours(2)).validateData(cutoverId, plan)),
              r -> r.tables().size() + " table(s), " + (r.passed() ? "identical" : "DIFFERENT"));
      if (!validationReport.passed() && Boolean.TRUE.equals(plan.validation().failOnDifference())) {
        markLastFailed();
        throw new StopRequested(
            "data validation found differences: " + validationReport.detail(), SYSTEM);
      }
    }
    checkStop();
  }

  private void soak() {
    Duration soak = duration(plan.soak());
    if (soak.isZero()) {
      return;
    }
    enter(Phase.SOAKING);
    long start = Workflow.currentTimeMillis();
    int index = begin("soak", "for " + plan.soak() + "; rollback possible by signal");
    long end = start + soak.toMillis();
    Duration tick = soakTick(soak);
    while (Workflow.currentTimeMillis() < end && !stopWanted()) {
      Duration left = Duration.ofMillis(end - Workflow.currentTimeMillis());
      Workflow.await(left.compareTo(tick) < 0 ? left : tick, this::stopWanted);
      if (!stopWanted() && Workflow.currentTimeMillis() < end) {
        InstanceState reverse =
            migration(Duration.ofMinutes(1)).describeInstance(cutoverId, plan, Direction.REVERSE);
        reverseLatencyMs = reverse.latencyMs();
      }
    }
    end(
        index,
        stopWanted() ? "INTERRUPTED" : "OK",
        "soaked " + Durations.human(Workflow.currentTimeMillis() - start));
    checkStop();
  }

  /**
   * Keeps the reverse latency fresh in status without letting history grow with the soak: one look
   * a minute, and at most {@link #SOAK_LOOKS} looks however long the soak (a 30-day soak looks
   * every 15 hours; gates and timers cost no events while they wait).
   */
  private Duration soakTick(Duration soak) {
    if (Workflow.getVersion(BOUNDED_SOAK_TICKS, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      return soak.compareTo(Duration.ofMinutes(10)) > 0 ? Duration.ofMinutes(1) : soak;
    }
    Duration spread = soak.dividedBy(SOAK_LOOKS);
    Duration tick = spread.compareTo(Duration.ofMinutes(1)) > 0 ? spread : Duration.ofMinutes(1);
    return tick.compareTo(soak) < 0 ? tick : soak;
  }

  /**
   * The point of no return (invariant 7, as Vitess marks it): once the finalize gate is passed the
   * reverse instance is ended, so no failure and no cancel quiesces, fences or points the
   * application again. Each step runs detached from the workflow's cancellation and a failing step
   * becomes a manual action; the others still run.
   */
  private void finalizeCutover() {
    enter(Phase.FINALIZING);
    finalizing = true;
    Workflow.newDetachedCancellationScope(this::finalizeSteps).run();
  }

  private void finalizeSteps() {
    Duration deadline = duration(plan.thresholds().instanceTimeout());
    boolean reverseEnded =
        finalStep(
            "terminateReverseInstance",
            () -> compensation(deadline).terminateInstance(cutoverId, plan, Direction.REVERSE),
            s -> s.instance() + " " + s.status(),
            "end the reverse instance "
                + plan.migration().reverseInstance()
                + " by hand: it still carries the destination's writes to the old source");
    if (reverseEnded) {
      reverseStarting = false;
    }
    if (reverseEnded && sourceFenced && plan.migration().reverseInstanceFencesSource()) {
      sourceFenced = false;
      manualActions.add(
          "the old source was fenced by being the reverse instance's read-only replica; with the"
              + " reverse instance terminated it is a writable master again: keep clients away"
              + " from it until you decommission or reuse it");
    }
    finalStep(
        "terminateForwardInstance",
        () -> compensation(deadline).terminateInstance(cutoverId, plan, Direction.FORWARD),
        s -> s.instance() + " " + s.status() + detail(s.detail()),
        "end the forward instance "
            + plan.migration().instance()
            + " by hand (never resume it); "
            + FORWARD_HOLDS);
    if (plan.migrationAccount().revoke()) {
      finalStep(
          "revokeMigrationAccount",
          () -> compensationDb().revokeMigrationAccount(cutoverId, plan),
          s -> s,
          "revoke the write privileges of the migration account '"
              + plan.migrationAccount().user()
              + "' by hand");
    }
    if (sourceFenced) {
      manualActions.add(
          "the old source stays fenced for application accounts so nothing writes to it by"
              + " mistake; lift the fence when you decommission or reuse it");
    }
  }

  private static final String FORWARD_HOLDS =
      "until it is ended it may hold resources on the source, such as a replication slot that"
          + " retains WAL until the source's disk is full";

  /** A finalize step: a failure is reported with what to do by hand, never undone. */
  private <T> boolean finalStep(
      String name, Supplier<T> body, Function<T, String> detail, String byHand) {
    try {
      step(name, body, detail);
      return true;
    } catch (ActivityFailure | CanceledFailure e) {
      finalizeProblems.add(name);
      manualActions.add(name + " failed: " + describeFailure(e) + "; " + byHand);
      return false;
    }
  }

  // ---------------------------------------------------------------- gates

  private void gate(String name) {
    GateSpec gate = plan.gates().gate(name);
    Phase waiting =
        switch (name) {
          case GatesSpec.QUIESCE -> Phase.AWAITING_QUIESCE_APPROVAL;
          case GatesSpec.SWITCH -> Phase.AWAITING_SWITCH_APPROVAL;
          default -> Phase.AWAITING_FINALIZE_APPROVAL;
        };
    checkStop();
    if (gate.auto()) {
      approvals.add(new GateDecision(name, "AUTO", SYSTEM, "gate set to auto", now()));
      addEntry("gate:" + name, "OK", "auto");
      return;
    }
    enter(waiting);
    pendingGate = name;
    int index = begin("gate:" + name, "waiting for approval by one of " + plan.approverNames());
    boolean decided;
    if (gate.timeout() == null) {
      Workflow.await(() -> approvedGates.contains(name) || stopWanted());
      decided = true;
    } else {
      decided =
          Workflow.await(
              duration(gate.timeout()), () -> approvedGates.contains(name) || stopWanted());
    }
    pendingGate = null;
    if (!decided) {
      approvals.add(
          new GateDecision(
              name, "TIMED_OUT", SYSTEM, "no approval within " + gate.timeout(), now()));
      end(index, "TIMED_OUT", "no approval within " + gate.timeout() + ", " + gate.onTimeout());
      throw new StopRequested("gate " + name + " timed out after " + gate.timeout(), SYSTEM);
    }
    if (!approvedGates.contains(name)) {
      end(index, "INTERRUPTED", "stop requested while waiting");
      checkStop();
    }
    GateDecision decision = lastApproval(name);
    end(
        index,
        "OK",
        "approved by "
            + decision.by()
            + (decision.verified() == null
                ? ""
                : decision.verified() ? " (signature verified)" : " (unsigned)")
            + (decision.comment() == null ? "" : ": " + decision.comment()));
  }

  @Override
  public void approve(ApproveRequest request) {
    String problem = approveProblem(request, false);
    if (problem != null) {
      // A signal cannot be refused, so a bad one is recorded (invariant 5) and ignored.
      rejected("approvalRejected", problem);
      return;
    }
    approvedGates.add(request.gate());
    approvals.add(
        new GateDecision(
            request.gate(),
            "APPROVED",
            request.by(),
            request.comment(),
            now(),
            requests.signedApprovals(false) ? identities().verified(request.by()) : null));
  }

  @Override
  public GateDecision approveGate(ApproveRequest request) {
    approve(request);
    return lastApproval(request.gate());
  }

  @Override
  public void validateApprove(ApproveRequest request) {
    refuse(approveProblem(request, true));
  }

  /** An update validator's refusal: the caller gets the reason, nothing changes. */
  private static void refuse(String problem) {
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Stops the wait in progress (catch-up) so a rollback or abort takes effect at once. */
  private void interrupt(String why) {
    if (interruptibleStep != null) {
      interruptibleStep.cancel(why);
    }
  }

  /**
   * Why {@code request} cannot approve, or null. {@code validating}: called from the Update's
   * validator, which must not record version markers (see {@link RequestRules}).
   */
  private String approveProblem(ApproveRequest request, boolean validating) {
    if (request == null || request.gate() == null) {
      return "gate is missing: approve one of quiesce, switch, finalize";
    }
    if (plan == null) {
      return "the cutover has not started yet; try again in a moment";
    }
    // A validator refuses long texts in every run: it is not replayed, and refusing changes
    // nothing.
    if (validating || requests.boundedSignals()) {
      String tooLong =
          RequestLimits.problem(
              request.gate(), request.by(), "comment", request.comment(), request.signature());
      if (tooLong != null) {
        return tooLong;
      }
    }
    if (plan.gates().gate(request.gate()) == null) {
      return "unknown gate '" + request.gate() + "': use quiesce, switch or finalize";
    }
    if (plan.approver(request.by()) == null) {
      return "'"
          + request.by()
          + "' may not approve: the plan's approvers are "
          + plan.approverNames();
    }
    if (requests.signedApprovals(validating)) {
      String unproved = identities().approvalProblem(request);
      if (unproved != null) {
        return unproved;
      }
    }
    if (!request.gate().equals(pendingGate)) {
      return "gate '"
          + request.gate()
          + "' is not pending"
          + (pendingGate == null
              ? " (no gate is pending; phase " + phase + ")"
              : "; pending is '" + pendingGate + "'");
    }
    return null;
  }

  // ---------------------------------------------------------------- rollback and abort requests

  @Override
  public void rollback(RollbackRequest request) {
    if (request == null) {
      rollback(null, null);
      return;
    }
    String who = claimed(SignedText.ROLLBACK, request.by(), request.reason(), request.signature());
    rollback(requests.cut(request), who);
  }

  /** A rollback request whose identity is already judged: {@code who} as the timeline says it. */
  private void rollback(RollbackRequest request, String who) {
    String problem = rollbackProblem(request);
    if (problem != null) {
      rejected("rollbackRejected", problem);
      return;
    }
    rollbackRequest = request;
    requestedIdentity = who;
    addEntry("rollbackRequested", "OK", "by " + who + ": " + request.reason());
    interrupt("rollback requested by " + request.by());
  }

  @Override
  public String requestRollback(RollbackRequest request) {
    rollback(request);
    return "rollback requested by " + requestedIdentity + " in phase " + phase;
  }

  @Override
  public void validateRollback(RollbackRequest request) {
    refuse(
        request == null
            ? null
            : RequestRules.tooLong(request.by(), request.reason(), request.signature()));
    refuse(rollbackProblem(request));
  }

  private String rollbackProblem(RollbackRequest request) {
    if (request == null || request.by() == null || request.by().isBlank()) {
      return "by is missing: say who asks for the rollback";
    }
    if (outcome != null) {
      return "the cutover already ended " + outcome;
    }
    if (finalizing) {
      return "the cutover is finalizing: the reverse instance is being terminated, rollback is no longer possible";
    }
    if (rollbackRequest != null) {
      return "a rollback was already requested by " + rollbackRequest.by();
    }
    return null;
  }

  @Override
  public void abort(AbortRequest request) {
    String who =
        request == null
            ? null
            : claimed(SignedText.ABORT, request.by(), request.reason(), request.signature());
    AbortRequest kept = request == null ? null : requests.cut(request);
    boolean named = kept != null && kept.by() != null && !kept.by().isBlank();
    if (named && changed && outcome == null) {
      // Signals cannot be refused: an abort after writes stopped means "get me out", a rollback.
      rollback(new RollbackRequest(kept.by(), "abort after writes stopped: " + kept.reason()), who);
      return;
    }
    String problem = abortProblem(kept);
    if (problem != null) {
      rejected("abortRejected", problem);
      return;
    }
    abortRequest = kept;
    requestedIdentity = who;
    addEntry("abortRequested", "OK", "by " + who + ": " + kept.reason());
    interrupt("abort requested by " + kept.by());
  }

  @Override
  public String requestAbort(AbortRequest request) {
    abort(request);
    return "abort requested by " + requestedIdentity + " in phase " + phase;
  }

  @Override
  public void validateAbort(AbortRequest request) {
    refuse(
        request == null
            ? null
            : RequestRules.tooLong(request.by(), request.reason(), request.signature()));
    refuse(abortProblem(request));
  }

  private String abortProblem(AbortRequest request) {
    if (request == null || request.by() == null || request.by().isBlank()) {
      return "by is missing: say who aborts";
    }
    if (outcome != null) {
      return "the cutover already ended " + outcome;
    }
    if (changed) {
      return "writes are already stopped: abort is only possible before that; use rollback";
    }
    return null;
  }

  /**
   * A request is signed for the run id the cutover started with (its original run id: a reset keeps
   * it, and a replay sees it in the first event, where the current run id may differ).
   */
  private Identities identities() {
    return new Identities(plan, cutoverId, Workflow.getInfo().getOriginalExecutionRunId(), now());
  }

  /** {@code by} as the timeline records a rollback or abort: with whether it was verified. */
  private String claimed(String action, String by, String text, RequestSignature signature) {
    return requests.signedApprovals(false) && plan != null
        ? identities().claimed(action, by, text, signature)
        : by;
  }

  private void rejected(String step, String problem) {
    requests.reject(timeline, step, problem, now());
  }

  private boolean stopWanted() {
    return rollbackRequest != null || abortRequest != null;
  }

  private void checkStop() {
    if (abortRequest != null) {
      throw new StopRequested(abortRequest.reason(), abortRequest.by());
    }
    if (rollbackRequest != null) {
      throw new StopRequested(rollbackRequest.reason(), rollbackRequest.by());
    }
  }

  // ---------------------------------------------------------------- rolling back

  /** Ends the cutover after a failure or a request: abort if nothing changed, else roll back. */
  private CutoverReport stop(String why, String by) {
    reason = why;
    requestedBy = by;
    if (!changed) {
      enter(Phase.ABORTING);
      addEntry("abort", "OK", why + " (by " + by + "); nothing had changed");
      return finish(Outcome.ABORTED);
    }
    enter(Phase.ROLLING_BACK);
    // Detached: a cancelled workflow still rolls back (invariant 6).
    boolean[] complete = new boolean[1];
    Workflow.newDetachedCancellationScope(() -> complete[0] = rollBack()).run();
    return finish(complete[0] ? Outcome.ROLLED_BACK : Outcome.FAILED);
  }

  private boolean rollBack() {
    try {
      boolean back = switchStarted ? rollbackAfterSwitch() : rollbackBeforeSwitch();
      if (back) {
        endPausedForwardInstance();
      }
      return back;
    } catch (RuntimeException e) {
      rethrowNonDeterminism(e);
      log.error("internal error while rolling back", e);
      manualActions.add("the rollback stopped on an internal error: " + e);
      manualActions.addAll(stateForOperator());
      return false;
    }
  }

  /**
   * A paused forward instance is never resumed (the seed), so once the application is back on the
   * source it is ended: left paused it could hold the source's WAL (a PostgreSQL slot) forever.
   * Failing to end it does not undo the rollback; it is a manual action.
   */
  private void endPausedForwardInstance() {
    if (!forwardPaused) {
      return;
    }
    String instance = plan.migration().instance();
    if (Workflow.getVersion(END_FORWARD_ON_ROLLBACK, Workflow.DEFAULT_VERSION, 1)
        == Workflow.DEFAULT_VERSION) {
      manualActions.add(
          "the forward instance "
              + instance
              + " is paused and must never be resumed (the seed's rule): recreate the migration"
              + " before the next cutover");
      return;
    }
    try {
      step(
          "endForwardInstance",
          () ->
              compensation(instanceTimeout()).terminateInstance(cutoverId, plan, Direction.FORWARD),
          s -> s.instance() + " " + s.status() + detail(s.detail()));
      forwardPaused = false;
      manualActions.add(
          "the forward instance "
              + instance
              + " was paused (a paused instance is never resumed) and is now ended: recreate the"
              + " migration before the next cutover");
    } catch (ActivityFailure | CanceledFailure e) {
      manualActions.add(
          "ending the paused forward instance "
              + instance
              + " failed: "
              + describeFailure(e)
              + "; never resume it, end it by hand: "
              + FORWARD_HOLDS);
    }
  }

  /** Before the switch the application never left the source: undo in reverse, simply. */
  private boolean rollbackBeforeSwitch() {
    boolean ok = true;
    if (reverseStarting) {
      // Nothing has been written to the destination by the application: the reverse instance
      // carries nothing, so it can go first.
      ok &=
          undo(
              "terminateReverseInstance",
              () ->
                  compensation(instanceTimeout())
                      .terminateInstance(cutoverId, plan, Direction.REVERSE),
              s -> s.instance() + " " + s.status());
      if (ok) {
        reverseStarting = false;
      }
    }
    if (sourceFenced) {
      if (!undo(
          "unfenceSource",
          () -> compensationDb().unfenceWrites(cutoverId, plan, Side.SOURCE),
          f -> f.method())) {
        return false; // never resume the application on a still-fenced source
      }
      sourceFenced = false;
    }
    if (appQuiesced) {
      if (!undo(
          "pointApplicationToSource",
          () -> compensationRouter().pointApplication(cutoverId, plan, Side.SOURCE),
          r -> r.detail())) {
        return false;
      }
      applicationTarget = Side.SOURCE;
      if (!undo(
          "resumeApplication",
          () -> compensationRouter().resumeApplication(cutoverId, plan),
          this::resumed)) {
        return false;
      }
      appQuiesced = false;
      writesResumed(CutoverMetrics.ROLLBACK);
    }
    return ok;
  }

  /**
   * After the switch: the cutover run the other way. Quiesce, fence the destination, prove the
   * reverse instance drained, sync sequences back, lift the source's fence, point the application
   * at the source, resume, and only then terminate the reverse instance.
   */
  private boolean rollbackAfterSwitch() {
    if (!writesStopped || !appQuiesced) {
      writesStopped = true;
      writesStoppedAt = now();
    }
    appQuiesced = true;
    if (!undo(
        "quiesceApplication",
        () -> compensationRouter().quiesceApplication(cutoverId, plan),
        r -> r.detail())) {
      return false;
    }
    destinationFenced = true;
    if (!undo(
        "fenceDestination",
        () -> compensationDb().fenceWrites(cutoverId, plan, Side.DESTINATION),
        f -> f.method())) {
      return false;
    }
    if (!undo(
        "checkSessionsOnDestination",
        () ->
            compensationDb(duration(plan.thresholds().sessionCheckTimeout()))
                .checkSessions(cutoverId, plan, Side.DESTINATION),
        CutoverWorkflowImpl::sessions)) {
      return false;
    }
    if (!undo(
        "awaitReverseDrained",
        () ->
            compensation(duration(plan.thresholds().drainTimeout()))
                .awaitDrained(cutoverId, plan, Direction.REVERSE),
        CutoverWorkflowImpl::proof)) {
      return false;
    }
    if (!undo(
        "syncSequencesBack",
        () -> compensation(Duration.ofMinutes(5)).syncSequences(cutoverId, plan, Direction.REVERSE),
        r -> r.synced() + " synced")) {
      return false;
    }
    // Drained, with the destination fenced: the reverse instance carries nothing more. Ending it
    // before the application resumes on the source makes the source a plain writable database
    // again (a Redis replica is read-only until detached) and no late event can land on top of
    // new application writes.
    if (!undo(
        "terminateReverseInstance",
        () -> compensation(instanceTimeout()).terminateInstance(cutoverId, plan, Direction.REVERSE),
        s -> s.instance() + " " + s.status())) {
      return false;
    }
    reverseStarting = false;
    if (sourceFenced) {
      if (!undo(
          "unfenceSource",
          () -> compensationDb().unfenceWrites(cutoverId, plan, Side.SOURCE),
          f -> f.method())) {
        return false;
      }
      sourceFenced = false;
    }
    if (!undo(
        "pointApplicationToSource",
        () -> compensationRouter().pointApplication(cutoverId, plan, Side.SOURCE),
        r -> r.detail())) {
      return false;
    }
    applicationTarget = Side.SOURCE;
    if (!undo(
        "resumeApplication",
        () -> compensationRouter().resumeApplication(cutoverId, plan),
        this::resumed)) {
      return false;
    }
    appQuiesced = false;
    writesResumed(CutoverMetrics.ROLLBACK);
    leaveDestinationFenced();
    return true;
  }

  /**
   * The destination stays fenced for application accounts so nothing writes to it by mistake, where
   * the fence holds by itself. A fence only a worker can hold (Redis CLIENT PAUSE, renewed from the
   * worker's memory) would silently end at the worker's next restart: it is lifted, and the report
   * says so.
   */
  private void leaveDestinationFenced() {
    if (!plan.migration().fenceHeldByWorker()
        || Workflow.getVersion(LIFT_WORKER_FENCE_ON_ROLLBACK, Workflow.DEFAULT_VERSION, 1)
            == Workflow.DEFAULT_VERSION) {
      manualActions.add(
          "the destination stays fenced for application accounts so nothing writes to it by"
              + " mistake; lift the fence when you decommission or reuse it");
      return;
    }
    try {
      step(
          "unfenceDestination",
          () -> compensationDb().unfenceWrites(cutoverId, plan, Side.DESTINATION),
          f -> f.method());
      destinationFenced = false;
      manualActions.add(
          "the destination is writable again: its write fence lasts only while a worker renews"
              + " it, so it was lifted rather than left to lapse unnoticed; keep the application's"
              + " clients away from it until you decommission or re-seed it");
    } catch (ActivityFailure | CanceledFailure e) {
      manualActions.add(
          "lifting the destination's fence failed: "
              + describeFailure(e)
              + "; it lapses by itself within the fence period once no worker renews it");
    }
  }

  /** Runs one compensation; a failure is reported, never swallowed (invariant 6). */
  private <T> boolean undo(String name, Supplier<T> body, Function<T, String> detail) {
    try {
      step(name, body, detail);
      return true;
    } catch (ActivityFailure | CanceledFailure e) {
      manualActions.add(name + " failed: " + describeFailure(e));
      manualActions.addAll(stateForOperator());
      return false;
    }
  }

  /** Where each system is, for a FAILED report: what an operator must know to finish by hand. */
  private List<String> stateForOperator() {
    List<String> out = new ArrayList<>();
    out.add(
        "application: points at "
            + applicationTarget.word()
            + (appQuiesced ? ", writes HELD (quiesced)" : ", writes flowing"));
    out.add("source: " + (sourceFenced ? "FENCED for application accounts" : "not fenced"));
    out.add(
        "destination: " + (destinationFenced ? "FENCED for application accounts" : "not fenced"));
    out.add(
        "forward instance "
            + plan.migration().instance()
            + ": "
            + (forwardPaused ? "paused (never resume it)" : "untouched"));
    out.add(
        "reverse instance "
            + plan.migration().reverseInstance()
            + ": "
            + (reverseStarting
                ? "may exist: terminate it once the application is settled"
                : "not created or terminated"));
    return out;
  }

  // ---------------------------------------------------------------- report and status

  private CutoverReport finish(Outcome result) {
    outcome = result;
    enter(Phase.DONE);
    Workflow.upsertTypedSearchAttributes(OUTCOME.valueSet(result.name()));
    metrics.ended(result);
    return new CutoverReport(
        plan.name(),
        result,
        reason,
        requestedBy,
        applicationTarget,
        writeOutageMs,
        List.copyOf(timeline),
        List.copyOf(approvals),
        testReport,
        validationReport,
        List.copyOf(manualActions));
  }

  @Override
  public CutoverStatus status() {
    long outage = writeOutageMs + (writesStopped && appQuiesced ? now() - writesStoppedAt : 0);
    RollbackRequest rb = rollbackRequest;
    return new CutoverStatus(
        plan == null ? null : plan.name(),
        phase,
        pendingGate,
        List.copyOf(timeline),
        forwardLatencyMs,
        reverseLatencyMs,
        applicationTarget,
        writesStopped && appQuiesced,
        outage,
        List.copyOf(approvals),
        outcome,
        reason != null ? reason : (rb == null ? null : rb.reason()));
  }

  /** The client stall the last resume reported (null: the router cannot know). */
  private Long resumedClientStallMs;

  private void writesResumed(String direction) {
    if (writesStopped) {
      long outage = now() - writesStoppedAt;
      writeOutageMs += outage;
      writesStopped = false;
      metrics.writeOutage(direction, outage);
    }
    if (resumedClientStallMs != null) {
      metrics.clientStall(direction, resumedClientStallMs);
      resumedClientStallMs = null;
    }
  }

  /**
   * The resume step's timeline line; keeps the router's measure of the client stall, if it has one,
   * for {@link #writesResumed}.
   */
  private String resumed(RouterState r) {
    resumedClientStallMs = r.clientStallMs();
    return r.detail();
  }

  // ---------------------------------------------------------------- timeline helpers

  private void enter(Phase next) {
    metrics.phase(next, now());
    phase = next;
    Workflow.upsertTypedSearchAttributes(PHASE.valueSet(next.name()));
  }

  private <T> T step(String name, Supplier<T> body, Function<T, String> detail) {
    int index = begin(name, null);
    try {
      T result = body.get();
      end(index, "OK", result == null ? null : detail.apply(result));
      return result;
    } catch (TemporalFailure e) {
      end(
          index,
          e instanceof CanceledFailure || isCancel(e) ? "INTERRUPTED" : "FAILED",
          describeFailure(e));
      if (FailureTypes.FENCE_LAPSED.equals(Failures.type(e))) {
        metrics.fenceLapsed(name);
      }
      if (isCancel(e)) {
        checkStop();
      }
      throw e;
    }
  }

  /** Runs a wait so a rollback or abort request can interrupt it. */
  private <T> T interruptible(Supplier<T> body) {
    checkStop();
    List<T> result = new ArrayList<>(1);
    CancellationScope scope =
        Workflow.newCancellationScope(
            () -> {
              result.add(body.get());
            });
    interruptibleStep = scope;
    try {
      scope.run();
    } finally {
      interruptibleStep = null;
    }
    return result.get(0);
  }

  private static boolean isCancel(TemporalFailure e) {
    return e instanceof CanceledFailure
        || (e instanceof ActivityFailure && e.getCause() instanceof CanceledFailure);
  }

  private int begin(String name, String detail) {
    timeline.add(new TimelineEntry(name, now(), 0, "RUNNING", detail));
    return timeline.size() - 1;
  }

  private void end(int index, String result, String detail) {
    TimelineEntry e = timeline.get(index);
    timeline.set(
        index,
        new TimelineEntry(
            e.step(), e.startedAtMillis(), now(), result, detail != null ? detail : e.detail()));
  }

  private void addEntry(String name, String result, String detail) {
    long t = now();
    timeline.add(new TimelineEntry(name, t, t, result, detail));
  }

  private void markLastFailed() {
    TimelineEntry e = timeline.get(timeline.size() - 1);
    timeline.set(
        timeline.size() - 1,
        new TimelineEntry(e.step(), e.startedAtMillis(), e.endedAtMillis(), "FAILED", e.detail()));
  }

  private DrainProof drain(Direction direction, String name) {
    Duration deadline = duration(plan.thresholds().drainTimeout());
    return step(
        name,
        () -> interruptible(() -> migration(deadline).awaitDrained(cutoverId, plan, direction)),
        CutoverWorkflowImpl::proof);
  }

  private GateDecision lastApproval(String gate) {
    for (int i = approvals.size() - 1; i >= 0; i--) {
      if (approvals.get(i).gate().equals(gate)) {
        return approvals.get(i);
      }
    }
    return null;
  }

  private long now() {
    return Workflow.currentTimeMillis();
  }

  private static String summary(PreflightReport r) {
    long failed = r.checks().stream().filter(c -> !c.ok()).count();
    // Only the timeline's text: no command depends on it, so older histories replay unchanged.
    List<String> warned =
        r.checks().stream().filter(c -> c.ok() && c.warning()).map(PreflightCheck::check).toList();
    return r.checks().size()
        + " check(s), "
        + (failed == 0
            ? "all hold"
            : failed
                + " FAILED: "
                + r.checks().stream()
                    .filter(c -> !c.ok())
                    .map(PreflightCheck::check)
                    .collect(Collectors.joining(", ")))
        + (warned.isEmpty()
            ? ""
            : "; " + warned.size() + " warning(s): " + String.join(", ", warned));
  }

  private static String sessions(SessionReport r) {
    return "no application writer on "
        + r.side().word()
        + " ("
        + r.others()
        + " other, "
        + r.excluded()
        + " excluded; waited "
        + Durations.human(r.waitedMs())
        + ")";
  }

  private static String proof(DrainProof p) {
    return p.method()
        + (p.target() == null ? "" : " at " + p.target())
        + " in "
        + Durations.human(p.waitedMs());
  }

  private static String latency(InstanceState s) {
    return s.latencyMs() == null ? "unknown" : Durations.human(s.latencyMs());
  }

  private static String detail(String d) {
    return d == null || d.isBlank() ? "" : " (" + d + ")";
  }

  static String describeFailure(Throwable e) {
    return Failures.describe(e);
  }

  // ---------------------------------------------------------------- activity stubs

  private Duration duration(String text) {
    return Durations.parse(text);
  }

  private Duration instanceTimeout() {
    return duration(plan.thresholds().instanceTimeout());
  }

  private static final String[] NON_RETRYABLE = {
    FailureTypes.INVALID_PLAN,
    FailureTypes.CATCH_UP_TIMEOUT,
    FailureTypes.DRAIN_TIMEOUT,
    FailureTypes.WRITERS_REMAIN,
    FailureTypes.INSTANCE_STATE,
    FailureTypes.PERMISSION,
    FailureTypes.INSTANCE_TIMEOUT,
    FailureTypes.ROUTER,
    FailureTypes.FENCE_LAPSED
  };

  /**
   * Options for a call that may wait up to {@code deadline} inside the activity (it polls and
   * heartbeats); forward steps give up after a few attempts so a broken step rolls back.
   */
  private static ActivityOptions options(Duration deadline, int attempts, boolean mutating) {
    // The heartbeat timeout finds a dead worker, not a slow step: the worker heartbeats while any
    // activity's call runs (HeartbeatTicker), and the deadline above ends a slow one.
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(deadline.plus(Duration.ofMinutes(1)))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        // Mutating steps finish before the workflow moves on (no racing compensation);
        // read-only waits stop at once.
        .setCancellationType(
            mutating
                ? ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                : ActivityCancellationType.TRY_CANCEL)
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setMaximumAttempts(attempts)
                .setDoNotRetry(NON_RETRYABLE)
                .build())
        .build();
  }

  /** Read-only waits and looks (latency, drain, describe): a stop request ends them at once. */
  private MigrationActivities migration(Duration deadline) {
    return Workflow.newActivityStub(MigrationActivities.class, options(deadline, 5, false));
  }

  /**
   * Steps that change the instance (pause, create the reverse instance, sync sequences): on a
   * cancel the workflow waits until the step has ended, so its compensation never races it.
   */
  private MigrationActivities migrationStep(Duration deadline) {
    return Workflow.newActivityStub(MigrationActivities.class, options(deadline, 5, true));
  }

  private DatabaseActivities database(Duration deadline) {
    return Workflow.newActivityStub(DatabaseActivities.class, options(deadline, 5, true));
  }

  /** The session check: read-only, so a stop request ends it at once. */
  private DatabaseActivities databaseRead(Duration deadline) {
    return Workflow.newActivityStub(DatabaseActivities.class, options(deadline, 5, false));
  }

  private RouterActivities router() {
    return Workflow.newActivityStub(
        RouterActivities.class, options(Durations.parse(plan.router().timeout()), 5, true));
  }

  private VerificationActivities verification(Duration deadline) {
    return Workflow.newActivityStub(VerificationActivities.class, options(deadline, 3, false));
  }

  /** Compensations retry longer: giving up leaves systems in a state a human must repair. */
  private MigrationActivities compensation(Duration deadline) {
    return Workflow.newActivityStub(MigrationActivities.class, options(deadline, 20, true));
  }

  private DatabaseActivities compensationDb() {
    return compensationDb(Duration.ofMinutes(2));
  }

  private DatabaseActivities compensationDb(Duration deadline) {
    return Workflow.newActivityStub(DatabaseActivities.class, options(deadline, 20, true));
  }

  private RouterActivities compensationRouter() {
    return Workflow.newActivityStub(
        RouterActivities.class, options(Durations.parse(plan.router().timeout()), 20, true));
  }

  /** A rollback or abort was asked for (by a person, a gate timeout or a failed test). */
  private static final class StopRequested extends RuntimeException {
    final String by;

    StopRequested(String reason, String by) {
      super(reason);
      this.by = by;
    }
  }
}
