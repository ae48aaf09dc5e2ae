package dev.switchback.cli;

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
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Activities that succeed at once without touching anything, so the real Cutover workflow can run
 * behind the CLI: these tests are about what the CLI sends and prints, and what the workflow
 * refuses; the activities are tested against real servers elsewhere.
 */
final class SucceedingActivities
    implements MigrationActivities, DatabaseActivities, RouterActivities, VerificationActivities {
  /**
   * Plans whose resumeApplication waits until released: a step in flight, for as long as needed.
   */
  private final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();

  private final Map<String, CountDownLatch> entered = new ConcurrentHashMap<>();

  void holdResume(String planName) {
    held.put(planName, new CountDownLatch(1));
    entered.put(planName, new CountDownLatch(1));
  }

  void awaitHeld(String planName) throws InterruptedException {
    if (!entered.get(planName).await(30, TimeUnit.SECONDS)) {
      throw new AssertionError("resumeApplication of " + planName + " never started");
    }
  }

  void release(String planName) {
    held.remove(planName).countDown();
  }

  private static InstanceState state(String instance, String status) {
    return new InstanceState(instance, status, true, 0L, 0L, "0/1", null);
  }

  @Override
  public InstanceState describeInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    return state(direction.name(), "RUNNING");
  }

  @Override
  public InstanceState checkLatency(String cutoverId, CutoverPlan plan) {
    return state(plan.migration().instance(), "RUNNING");
  }

  @Override
  public DrainProof awaitDrained(String cutoverId, CutoverPlan plan, Direction direction) {
    return new DrainProof(direction.name(), "exact", "0/2", "0/2", 1, null);
  }

  @Override
  public InstanceState pauseInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    return state(plan.migration().instance(), "PAUSED");
  }

  @Override
  public SequenceSyncResult syncSequences(String cutoverId, CutoverPlan plan, Direction direction) {
    return new SequenceSyncResult(0, null);
  }

  @Override
  public InstanceState startReverseIncremental(String cutoverId, CutoverPlan plan) {
    return state(plan.migration().reverseInstance(), "RUNNING");
  }

  @Override
  public InstanceState terminateInstance(String cutoverId, CutoverPlan plan, Direction direction) {
    return state(direction.name(), "NOT_FOUND");
  }

  @Override
  public PreflightReport preflight(String cutoverId, CutoverPlan plan) {
    return new PreflightReport(true, List.of(new PreflightCheck("source reachable", true, "ok")));
  }

  @Override
  public FenceResult fenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    return new FenceResult(side, "no fence (test)", 0, null);
  }

  @Override
  public FenceResult unfenceWrites(String cutoverId, CutoverPlan plan, Side side) {
    return new FenceResult(side, "no fence (test)", 0, null);
  }

  @Override
  public SessionReport checkSessions(String cutoverId, CutoverPlan plan, Side side) {
    return new SessionReport(side, List.of(), 0, 1, 0);
  }

  @Override
  public String revokeMigrationAccount(String cutoverId, CutoverPlan plan) {
    return "revoked (test)";
  }

  @Override
  public RouterState quiesceApplication(String cutoverId, CutoverPlan plan) {
    return new RouterState(null, true, "quiesced");
  }

  @Override
  public RouterState pointApplication(String cutoverId, CutoverPlan plan, Side target) {
    return new RouterState(target, true, "points at " + target);
  }

  @Override
  public RouterState resumeApplication(String cutoverId, CutoverPlan plan) {
    CountDownLatch hold = held.get(plan.name());
    if (hold != null) {
      entered.get(plan.name()).countDown();
      try {
        if (!hold.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return new RouterState(null, false, "resumed");
  }

  @Override
  public TestReport runTests(String cutoverId, CutoverPlan plan) {
    return new TestReport(true, List.of(new TestResult("orders readable", true, "ok", 1)));
  }

  @Override
  public ValidationReport validateData(String cutoverId, CutoverPlan plan) {
    return new ValidationReport(true, List.of(), 0, "identical");
  }
}
