package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.FakeProvider.running;
import static dev.switchback.activities.impl.FakeProvider.state;
import static dev.switchback.activities.impl.TestPlans.failure;
import static dev.switchback.activities.impl.TestPlans.plan;
import static dev.switchback.activities.impl.TestPlans.thresholds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MigrationActivitiesImplTest {
  private static final String CUTOVER = "cutover-orders";
  private static final CutoverPlan PLAN =
      plan(thresholds("5s", "10m", "5m", "2m", "2s", "30s", "1m"));

  private final FakeClock clock = new FakeClock();
  private final FakeProvider provider = new FakeProvider(clock, "postgres");
  private final Connections connections = new Connections(new Secrets(Map.of()));
  private final List<WaitProgress> heartbeats = new CopyOnWriteArrayList<>();
  private TestActivityEnvironment env;
  private MigrationActivities activities;

  @BeforeEach
  void setUp() {
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new MigrationActivitiesImpl(
            new Registry().provider(provider), connections, clock, Duration.ofMillis(200)));
    env.setActivityHeartbeatListener(WaitProgress.class, heartbeats::add);
    activities = env.newActivityStub(MigrationActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
    connections.close();
  }

  @Test
  void checkLatencyReturnsOnceIncrementalAndUnderMaxLatency() {
    provider.forward =
        t ->
            t < 3_000
                ? state("mig", "RUNNING", false, null)
                : t < 8_000 ? running(40_000) : running(4_000);

    InstanceState s = activities.checkLatency(CUTOVER, PLAN);

    assertEquals(4_000L, s.latencyMs());
    assertTrue(s.incremental());
    assertEquals(8_000, clock.elapsed(), "returns on the first poll under the threshold");
  }

  @Test
  void checkLatencyAcceptsCompletedInstanceWithoutIncrementalStage() {
    provider.forward = t -> state("mig", "COMPLETED", false, null);

    InstanceState s = activities.checkLatency(CUTOVER, PLAN);

    assertEquals("COMPLETED", s.status());
    assertEquals(0, clock.elapsed());
  }

  @Test
  void catchUpTimeoutIsNonRetryableCatchUpTimeoutSayingWhatWasSeen() {
    provider.forward = t -> running(60_000);
    CutoverPlan plan = plan(thresholds("5s", "30s", "5m", "2m", "2s", "30s", "1m"));

    ApplicationFailure f = failure(() -> activities.checkLatency(CUTOVER, plan));

    assertEquals(FailureTypes.CATCH_UP_TIMEOUT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("'mig'"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("latency <= 5.0s"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("latency 1m00s"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("thresholds.catchUpTimeout 30.0s"));
    assertEquals(30_000, clock.elapsed(), "gives up at the deadline, not before or long after");
  }

  @Test
  void checkLatencyFailsAtOnceWhenTheInstanceIsMissingOrFailed() {
    provider.forward = t -> state(null, "NOT_FOUND", false, null);
    ApplicationFailure missing = failure(() -> activities.checkLatency(CUTOVER, PLAN));
    assertEquals(FailureTypes.INSTANCE_STATE, missing.getType());
    assertTrue(missing.isNonRetryable());
    assertTrue(missing.getOriginalMessage().contains("migration.instance"));

    provider.forward = t -> state("mig", "FAILED", true, null);
    ApplicationFailure failed = failure(() -> activities.checkLatency(CUTOVER, PLAN));
    assertEquals(FailureTypes.INSTANCE_STATE, failed.getType());
    assertEquals(0, clock.elapsed(), "no waiting on an instance that cannot recover by itself");
  }

  @Test
  void checkLatencyRefusesAPausedForwardInstance() {
    provider.forward = t -> state("mig", "PAUSED", true, 0L);

    ApplicationFailure f = failure(() -> activities.checkLatency(CUTOVER, PLAN));

    assertEquals(FailureTypes.INSTANCE_STATE, f.getType());
    assertTrue(f.getOriginalMessage().contains("never resumes"), f.getOriginalMessage());
    assertEquals(0, provider.pauses.get());
  }

  @Test
  void heartbeatsCarryTheLatestInstanceState() {
    provider.forward = t -> t < 2_000 ? running(30_000) : running(1_000);

    activities.checkLatency(CUTOVER, PLAN);

    assertFalse(heartbeats.isEmpty(), "the wait heartbeats");
    WaitProgress first = heartbeats.get(0);
    assertEquals("checkLatency", first.waitKey());
    assertEquals("mig", first.last().instance());
    assertEquals(30_000L, first.last().latencyMs());
    assertEquals(FakeClock.START, first.startedAtMillis());
    assertTrue(first.detail().contains("latency 30.0s"), first.detail());
  }

  @Test
  void exactDrainWaitsUntilTheProviderConfirmsTheWriterPosition() {
    provider.forward = t -> running(500);
    provider.writerPosition = "0/3000060";
    provider.drainedAt = 1_400;

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("exact", proof.method());
    assertEquals("0/3000060", proof.target());
    assertEquals("0/3000060", proof.reached());
    assertEquals(1_400, proof.waitedMs());
    assertEquals(1, provider.writerPositionCalls.get());
    assertTrue(
        heartbeats.stream().anyMatch(h -> "0/3000060".equals(h.target())),
        "the heartbeat keeps the target so a retry waits for the same position");
  }

  @Test
  void exactDrainTimeoutIsNonRetryableDrainTimeout() {
    provider.forward = t -> running(500);
    provider.writerPosition = "0/3000060";
    CutoverPlan plan = plan(thresholds("5s", "10m", "10s", "2m", "2s", "30s", "1m"));

    ApplicationFailure f = failure(() -> activities.awaitDrained(CUTOVER, plan, Direction.FORWARD));

    assertEquals(FailureTypes.DRAIN_TIMEOUT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("0/3000060"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("thresholds.drainTimeout 10.0s"));
    assertEquals(10_000, clock.elapsed());
  }

  @Test
  void retriedExactDrainKeepsTheTargetTakenAfterTheFence() {
    provider.forward = t -> running(0);
    provider.writerPosition = "0/50";
    provider.drainedAt = 0;
    env.setHeartbeatDetails(
        new WaitProgress(
            "awaitDrained-FORWARD",
            FakeClock.START,
            FakeClock.START,
            3,
            null,
            null,
            0,
            "0/50",
            ""));

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("0/50", proof.target());
    assertEquals(0, provider.writerPositionCalls.get(), "the position is not taken again");
  }

  @Test
  void stabilityWindowRestartsOnASpikeAndCompletesAfterAFullWindow() {
    // DTS-like: no exact position. Latency reaches 0 at 1s, spikes past the 2s tolerance at 30s,
    // then fluctuates between 0 and 1.5s (within tolerance) for good.
    provider.forward =
        t -> {
          if (t < 1_000) {
            return running(3_000);
          }
          if (t < 30_000) {
            return running(0);
          }
          if (t < 30_200) {
            return running(2_500);
          }
          return running((t / 1_000) % 2 == 0 ? 0 : 1_500);
        };

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("stability-window", proof.method());
    assertNull(proof.target());
    // The first window (from 1s) broke at 30s; the second started at 30.2s and ran 2 minutes.
    assertEquals(30_200 + 120_000, proof.waitedMs());
    assertTrue(proof.detail().contains("restarted 1 time"), proof.detail());
  }

  @Test
  void stabilityWindowDoesNotCountAPollWithUnknownLatency() {
    provider.forward =
        t -> t >= 10_000 && t < 10_200 ? state("mig", "RUNNING", true, null) : running(0);

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals(10_200 + 120_000, proof.waitedMs());
    assertTrue(proof.detail().contains("restarted 1 time"), proof.detail());
  }

  @Test
  void drainOfACompletedInstanceWithoutIncrementalStageIsImmediate() {
    provider.forward = t -> state("mig", "COMPLETED", false, null);

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("completed", proof.method());
    assertEquals(0, proof.waitedMs());
    assertEquals(0, provider.writerPositionCalls.get());
  }

  @Test
  void stabilityWindowHeartbeatCarriesTheWindowStartForARetry() {
    provider.forward = t -> running(0);

    activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    // The first heartbeat is sent at once (later ones are throttled by the SDK).
    WaitProgress first = heartbeats.get(0);
    assertEquals("awaitDrained-FORWARD", first.waitKey());
    assertEquals(FakeClock.START, first.windowStartedAtMillis());
    assertTrue(first.detail().contains("stable for 0ms of 2m00s"), first.detail());
  }

  @Test
  void stabilityWindowWithoutSpikesTakesExactlyTheWindowAfterLatencyZero() {
    provider.forward = t -> t < 5_000 ? running(4_000) : running(1_999);
    CutoverPlan plan = plan(thresholds("5s", "10m", "5m", "1m", "2s", "30s", "1m"));
    // Latency never reaches 0: the seed's window never starts, whatever the tolerance.
    ApplicationFailure f = failure(() -> activities.awaitDrained(CUTOVER, plan, Direction.FORWARD));
    assertEquals(FailureTypes.DRAIN_TIMEOUT, f.getType());
    assertTrue(f.getOriginalMessage().contains("reach latency 0"), f.getOriginalMessage());

    FakeClock fresh = new FakeClock();
    provider.forward = t -> running(0);
    DrainProof proof = runWith(fresh, a -> a.awaitDrained(CUTOVER, plan, Direction.FORWARD));
    assertEquals(60_000, proof.waitedMs());
  }

  @Test
  void retriedStabilityWindowResumesWhatWasObservedAndKeepsTheDeadline() {
    provider.forward = t -> running(0);
    // The previous attempt saw 100s of a 2-minute window, heartbeat at the moment it died.
    long now = clock.millis();
    env.setHeartbeatDetails(
        new WaitProgress(
            "awaitDrained-FORWARD",
            now - 110_000,
            now,
            500,
            running(0),
            now - 100_000,
            0,
            null,
            ""));

    DrainProof proof = activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals(20_000, clock.elapsed(), "only the missing 20s of the window are waited");
    assertEquals(130_000, proof.waitedMs(), "waited counts from the first attempt");
  }

  @Test
  void retriedDrainDoesNotExtendTheDeadline() {
    provider.forward = t -> running(5_000);
    long now = clock.millis();
    // drainTimeout is 5m; the first attempt started 4m50s ago.
    env.setHeartbeatDetails(
        new WaitProgress(
            "awaitDrained-FORWARD", now - 290_000, now, 10, running(5_000), null, 0, null, ""));

    ApplicationFailure f = failure(() -> activities.awaitDrained(CUTOVER, PLAN, Direction.FORWARD));

    assertEquals(FailureTypes.DRAIN_TIMEOUT, f.getType());
    assertEquals(10_000, clock.elapsed());
  }

  @Test
  void pauseWaitsForPausedAndIsIdempotent() {
    provider.forward = t -> running(0);
    provider.pauseTakes = 1_200;

    InstanceState s = activities.pauseInstance(CUTOVER, PLAN, Direction.FORWARD);

    assertTrue(s.paused());
    assertEquals(1, provider.pauses.get());
    assertEquals(1_200, clock.elapsed());

    InstanceState again = activities.pauseInstance(CUTOVER, PLAN, Direction.FORWARD);

    assertTrue(again.paused());
    assertEquals(1, provider.pauses.get(), "an already paused instance is not asked again");
    assertEquals(1_200, clock.elapsed(), "and returns at once");
  }

  @Test
  void pauseTimeoutIsNonRetryableInstanceTimeout() {
    provider.forward = t -> state("mig", "PAUSING", true, 0L);
    provider.pauseTakes = Long.MAX_VALUE;

    ApplicationFailure f =
        failure(() -> activities.pauseInstance(CUTOVER, PLAN, Direction.FORWARD));

    assertEquals(FailureTypes.INSTANCE_TIMEOUT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("PAUSING"), f.getOriginalMessage());
    assertTrue(f.getOriginalMessage().contains("never resume"), f.getOriginalMessage());
    assertEquals(60_000, clock.elapsed());
  }

  @Test
  void pauseSkipsAnInstanceWithoutIncrementalStage() {
    provider.forward = t -> state("mig", "COMPLETED", false, null);

    InstanceState s = activities.pauseInstance(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("COMPLETED", s.status());
    assertEquals(0, provider.pauses.get());
  }

  @Test
  void startReverseRepeatsTheIdempotentCreateUntilRunning() {
    provider.reverseRunningAfter = 2_000;

    InstanceState s = activities.startReverseIncremental(CUTOVER, PLAN);

    assertTrue(s.running());
    assertEquals("rev", s.instance());
    // Providers that create in steps (DTS: create, precheck, StartReverseWriter) need the call
    // repeated while the instance is not running; idempotent ones treat repeats as no-ops.
    assertTrue(provider.creates.get() > 1, "creates: " + provider.creates.get());
    assertEquals(2_000, clock.elapsed());
  }

  @Test
  void startReverseTimeoutIsNonRetryableInstanceTimeout() {
    provider.reverseRunningAfter = Long.MAX_VALUE / 2;

    ApplicationFailure f = failure(() -> activities.startReverseIncremental(CUTOVER, PLAN));

    assertEquals(FailureTypes.INSTANCE_TIMEOUT, f.getType());
    assertTrue(f.getOriginalMessage().contains("STARTING"), f.getOriginalMessage());
  }

  @Test
  void terminateReturnsTheInstanceAsItIsAfterwards() {
    provider.forward = t -> running(0);

    InstanceState s = activities.terminateInstance(CUTOVER, PLAN, Direction.FORWARD);

    assertEquals("NOT_FOUND", s.status());
    assertEquals(1, provider.terminates.get());
  }

  private <T> T runWith(
      FakeClock otherClock, java.util.function.Function<MigrationActivities, T> f) {
    FakeProvider p = new FakeProvider(otherClock, "postgres");
    p.forward = provider.forward;
    TestActivityEnvironment other = TestActivityEnvironment.newInstance();
    try {
      other.registerActivitiesImplementations(
          new MigrationActivitiesImpl(
              new Registry().provider(p), connections, otherClock, Duration.ofMillis(200)));
      return f.apply(other.newActivityStub(MigrationActivities.class, TestPlans.OPTIONS));
    } finally {
      other.close();
    }
  }
}
