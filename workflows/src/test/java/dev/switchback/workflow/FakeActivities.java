package dev.switchback.workflow;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.RouterActivities;
import dev.switchback.activities.VerificationActivities;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import io.temporal.activity.Activity;
import io.temporal.client.ActivityCanceledException;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Records every activity call in order, and fails the ones it is told to. The workflow tests are
 * about orchestration (which step, which compensation, in which order), so the databases are left
 * out here; the adapters are tested against real servers elsewhere.
 */
public final class FakeActivities
    implements MigrationActivities, DatabaseActivities, RouterActivities, VerificationActivities {
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  final Set<String> failOnce = Collections.synchronizedSet(new HashSet<>());
  final Set<String> failAlways = Collections.synchronizedSet(new HashSet<>());

  /** Calls that fail once with the given failure type (e.g. FenceLapsed). */
  public final Map<String, String> failOnceAs = new ConcurrentHashMap<>();

  volatile boolean preflightFails;

  /** A check preflight adds to its report, e.g. a warning. */
  volatile PreflightCheck preflightExtra;

  public volatile boolean smokeTestFails;
  volatile boolean dataDiffers;
  volatile boolean blockCatchUp;
  volatile boolean runTestsReturnsNull;
  final CountDownLatch catchUpStarted = new CountDownLatch(1);
  private final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> entered = new ConcurrentHashMap<>();

  /**
   * Makes the next call of {@code name} block until {@link #release}, as a slow step does. It keeps
   * going when its activity is cancelled, as a create loop that must finish its work does, and
   * records {@code name:done} when it returns.
   */
  void hold(String name) {
    entered.put(name, new CountDownLatch(1));
    held.put(name, new CountDownLatch(1));
  }

  void release(String name) {
    held.get(name).countDown();
  }

  boolean awaitEntered(String name) throws InterruptedException {
    return entered.get(name).await(30, TimeUnit.SECONDS);
  }

  private void call(String name) {
    calls.add(name);
    CountDownLatch release = held.get(name);
    if (release != null) {
      entered.get(name).countDown();
      try {
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException(name + " was held for 60 s: the test never released it");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      calls.add(name + ":done");
    }
    String type = failOnceAs.remove(name);
    if (type != null) {
      throw ApplicationFailure.newNonRetryableFailure("injected " + type + " in " + name, type);
    }
    if (failAlways.contains(name) || failOnce.remove(name)) {
      throw ApplicationFailure.newNonRetryableFailure("injected failure in " + name, "Injected");
    }
  }

  /** The calls that change something, in order (describe and catch-up polls left out). */
  List<String> mutations() {
    synchronized (calls) {
      return calls.stream()
          .filter(c -> !c.startsWith("describeInstance") && !c.startsWith("preflight"))
          .filter(c -> !c.endsWith(":done") && !c.endsWith(":cancelled"))
          .toList();
    }
  }

  private static InstanceState state(String instance, String status) {
    return new InstanceState(instance, status, true, 0L, 0L, "0/1", null);
  }

  @Override
  public InstanceState describeInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    call("describeInstance:" + direction);
    return state(direction.name(), "RUNNING");
  }

  @Override
  public InstanceState checkLatency(String cutoverId, CutoverPlan plan) {
    call("checkLatency");
    catchUpStarted.countDown();
    while (blockCatchUp) {
      try {
        Thread.sleep(50);
        Activity.getExecutionContext().heartbeat(null);
      } catch (InterruptedException | ActivityCanceledException e) {
        calls.add("checkLatency:cancelled");
        throw Activity.wrap(e);
      }
    }
    return new InstanceState(plan.migration().instance(), "RUNNING", true, 800L, 100L, "0/1", null);
  }

  @Override
  public DrainProof awaitDrained(String cutoverId, CutoverPlan plan, Direction direction) {
    call("awaitDrained:" + direction);
    return new DrainProof(direction.name(), "exact", "0/2", "0/2", 120, null);
  }

  @Override
  public InstanceState pauseInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    call("pauseInstance:" + direction);
    return state(plan.migration().instance(), "PAUSED");
  }

  @Override
  public SequenceSyncResult syncSequences(String cutoverId, CutoverPlan plan, Direction direction) {
    call("syncSequences:" + direction);
    return new SequenceSyncResult(2, null);
  }

  @Override
  public InstanceState startReverseIncremental(String cutoverId, CutoverPlan plan) {
    call("startReverseIncremental");
    return state(plan.migration().reverseInstance(), "RUNNING");
  }

  @Override
  public InstanceState terminateInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    call("terminateInstance:" + direction);
    return state(direction.name(), "NOT_FOUND");
  }

  @Override
  public PreflightReport preflight(String cutoverId, CutoverPlan plan) {
    call("preflight");
    List<PreflightCheck> checks = new ArrayList<>();
    checks.add(new PreflightCheck("source reachable", true, "ok"));
    checks.add(new PreflightCheck("forward instance running", !preflightFails, "status RUNNING"));
    if (preflightExtra != null) {
      checks.add(preflightExtra);
    }
    return new PreflightReport(!preflightFails, List.copyOf(checks));
  }

  @Override
  public FenceResult fenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    call("fenceWrites:" + side);
    return new FenceResult(side, "fake fence", 1, null);
  }

  @Override
  public FenceResult unfenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    call("unfenceWrites:" + side);
    return new FenceResult(side, "fake unfence", 0, null);
  }

  @Override
  public SessionReport checkSessions(String cutoverId, CutoverPlan plan, Side side) {
    call("checkSessions:" + side);
    return new SessionReport(side, List.of(), 0, 1, 10);
  }

  @Override
  public String revokeMigrationAccount(String cutoverId, CutoverPlan plan) {
    call("revokeMigrationAccount");
    return "revoked";
  }

  @Override
  public RouterState quiesceApplication(String cutoverId, CutoverPlan plan) {
    call("quiesceApplication");
    return new RouterState(null, true, "quiesced");
  }

  @Override
  public RouterState pointApplication(String cutoverId, CutoverPlan plan, Side target) {
    call("pointApplication:" + target);
    return new RouterState(target, true, "points at " + target);
  }

  /** What resume says the router measured of the clients' wait (null: a router that cannot). */
  public volatile Long clientStallMs = 40L;

  @Override
  public RouterState resumeApplication(String cutoverId, CutoverPlan plan) {
    call("resumeApplication");
    return new RouterState(null, false, "resumed", clientStallMs);
  }

  @Override
  public TestReport runTests(String cutoverId, CutoverPlan plan) {
    call("runTests");
    if (runTestsReturnsNull) {
      return null;
    }
    return new TestReport(
        !smokeTestFails,
        List.of(
            new TestResult(
                "orders readable",
                !smokeTestFails,
                smokeTestFails ? "relation missing" : "ok",
                3)));
  }

  @Override
  public ValidationReport validateData(String cutoverId, CutoverPlan plan) {
    call("validateData");
    long missing = dataDiffers ? 1 : 0;
    return new ValidationReport(
        !dataDiffers,
        List.of(new TableComparison("orders", 10, 10 - missing, missing, 0, 0, List.of())),
        5,
        dataDiffers ? "orders: 1 missing" : "identical");
  }
}
