package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.TestPlans.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.MigrationActivities;
import dev.switchback.activities.dts.DtsApiDocs;
import dev.switchback.activities.dts.DtsClients;
import dev.switchback.activities.dts.DtsProvider;
import dev.switchback.activities.dts.SimulatedDts;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.DrainProof;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.Thresholds;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DTS plan with the default thresholds can finish the drain (issue 10, finding 4). DTS has no
 * exact position, so the drain is the seed's stability window: latency 0, then 2 minutes within 2
 * s. The real {@link DtsProvider} talks to {@link SimulatedDts}, whose forward task, like a real
 * one, still shows its latency for a few answers after the source turned read-only; the fake clock
 * moves only when the activity sleeps between polls, so minutes take no real time.
 */
class DtsDrainDefaultsTest {
  private static final String CUTOVER = "cutover-orders";
  private static final Duration POLL = Duration.ofSeconds(1);

  private final FakeClock clock = new FakeClock();
  private final Connections connections = new Connections(new Secrets(Map.of()));
  private SimulatedDts dts;
  private TestActivityEnvironment env;
  private MigrationActivities activities;

  @BeforeEach
  void setUp() {
    // The fence is up before the drain starts: the source is read-only from the first answer.
    dts = new SimulatedDts(() -> true, () -> false).drainLag(10);
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new MigrationActivitiesImpl(
            new Registry()
                .provider(
                    new DtsProvider(
                        DtsClients.fromAccessKey(
                            DtsApiDocs.ACCESS_KEY_ID, DtsApiDocs.ACCESS_KEY_SECRET),
                        Clock.systemUTC())),
            connections,
            clock,
            POLL));
    activities = env.newActivityStub(MigrationActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
    connections.close();
    dts.close();
  }

  @Test
  void aDtsPlanWithTheDefaultThresholdsFinishesTheDrain() {
    CutoverPlan plan = PlanValidator.validate(dtsPlan(null));

    DrainProof proof = activities.awaitDrained(CUTOVER, plan, Direction.FORWARD);

    assertEquals(MigrationActivitiesImpl.STABILITY_WINDOW, proof.method());
    // The drain's first look and the next 9 polls still saw latency; from the 10th poll (9 s in)
    // it read 0, and the window ran its full 2 minutes from there.
    assertEquals(9 * POLL.toMillis() + Duration.ofMinutes(2).toMillis(), proof.waitedMs());
    assertEquals(List.of(), dts.violations());
  }

  /** Why the validator refuses it: the window starts after the deadline does. */
  @Test
  void aDrainTimeoutOfOneStabilityWindowCanNeverHoldTheWindow() {
    CutoverPlan plan = dtsPlan(new Thresholds(null, null, "2m", "2m", null, null, null));

    ApplicationFailure f =
        failure(() -> activities.awaitDrained(CUTOVER, plan.withDefaults(), Direction.FORWARD));

    assertEquals(FailureTypes.DRAIN_TIMEOUT, f.getType());
    assertTrue(
        f.getOriginalMessage().contains("(thresholds.drainTimeout 2m00s)"), f.getOriginalMessage());
  }

  private CutoverPlan dtsPlan(Thresholds thresholds) {
    return new CutoverPlan(
        "orders",
        new MigrationSpec(
            "dts",
            dts.forwardJobId(),
            null,
            Map.of("regionId", SimulatedDts.REGION, "endpoint", dts.endpoint())),
        new EndpointSpec("mysql", "jdbc:mysql://src.example:3306/shop", "sb", null, null, null),
        new EndpointSpec("mysql", "jdbc:mysql://dst.example:3306/shop", "sb", null, null, null),
        new MigrationAccountSpec("dts_migrator", null, null),
        null,
        thresholds,
        null,
        ApproverSpec.names("alice"),
        CutoverPlan.UNSIGNED,
        null,
        null,
        null);
  }
}
