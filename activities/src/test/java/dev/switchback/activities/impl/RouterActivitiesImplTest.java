package dev.switchback.activities.impl;

import static dev.switchback.activities.impl.TestPlans.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.RouterActivities;
import dev.switchback.activities.router.ManualRouter;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.router.haproxy.HaproxyRouter;
import dev.switchback.activities.router.pgbouncer.PgBouncerRouter;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.Thresholds;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RouterActivitiesImplTest {
  private static final String CUTOVER = "cutover-orders";
  private final RecordingRouter recording = new RecordingRouter("webhook");
  private TestActivityEnvironment env;
  private RouterActivities activities;

  @BeforeEach
  void setUp() {
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(
        new RouterActivitiesImpl(
            new Registry()
                .router(new ManualRouter())
                .router(recording)
                .router(new HaproxyRouter())
                .router(new PgBouncerRouter(new Secrets(java.util.Map.of())))));
    activities = env.newActivityStub(RouterActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  @Test
  void callsGoToTheRouterThePlanNames() {
    CutoverPlan plan =
        plan(
            Thresholds.defaults(),
            new RouterSpec("webhook", "http://app/sb", null, "5s", null),
            true);

    activities.quiesceApplication(CUTOVER, plan);
    activities.pointApplication(CUTOVER, plan, Side.DESTINATION);
    activities.resumeApplication(CUTOVER, plan);

    assertEquals(java.util.List.of("quiesce", "point DESTINATION", "resume"), recording.calls);
  }

  @Test
  void manualRouterTellsTheOperatorWhatToDoAndTouchesNothing() {
    CutoverPlan plan = plan(Thresholds.defaults());

    RouterState quiesced = activities.quiesceApplication(CUTOVER, plan);
    RouterState pointed = activities.pointApplication(CUTOVER, plan, Side.DESTINATION);
    RouterState back = activities.pointApplication(CUTOVER, plan, Side.SOURCE);
    RouterState resumed = activities.resumeApplication(CUTOVER, plan);

    assertTrue(quiesced.quiesced());
    assertTrue(quiesced.detail().contains("quiesce gate approval confirms"), quiesced.detail());
    assertEquals(Side.DESTINATION, pointed.target());
    assertTrue(
        pointed
            .detail()
            .contains(
                "point the application at destination jdbc:postgresql://127.0.0.1:5434/app now"),
        pointed.detail());
    assertTrue(pointed.detail().contains("switch gate approval confirms it"), pointed.detail());
    assertTrue(back.detail().contains("source jdbc:postgresql://127.0.0.1:5433/app"));
    assertFalse(resumed.quiesced());
    assertNull(resumed.target());
    assertTrue(recording.calls.isEmpty());
  }

  @Test
  void unknownRouterIsAnInvalidPlan() {
    CutoverPlan plan =
        plan(Thresholds.defaults(), new RouterSpec("carrier-pigeon", null, null, "5s", null), true);

    ApplicationFailure f = TestPlans.failure(() -> activities.quiesceApplication(CUTOVER, plan));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(
        f.getOriginalMessage().contains("router.type 'carrier-pigeon'"), f.getOriginalMessage());
  }

  @Test
  void pgbouncerPlansGoToThePgBouncerRouterWhichChecksTheFieldsFirst() {
    CutoverPlan plan =
        plan(
            Thresholds.defaults(),
            RouterSpec.pgbouncer(
                List.of(
                    new RouterInstance(
                        "postgres://switchback@127.0.0.1:6432/pgbouncer", "/etc/pgbouncer/db.ini")),
                null,
                null,
                "5s"),
            true);

    ApplicationFailure f = TestPlans.failure(() -> activities.quiesceApplication(CUTOVER, plan));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(
        f.getOriginalMessage().startsWith("router.database: missing for router pgbouncer"),
        f.getOriginalMessage());
  }

  @Test
  void haproxyFailuresReachTheWorkflowRetryableOrNotAsTheyAre() {
    // Nothing listens on port 1.
    CutoverPlan unreachable =
        plan(
            Thresholds.defaults(),
            RouterSpec.haproxy(
                List.of(new RouterInstance("tcp://127.0.0.1:1", null)), "app", "src", "dst", "2s"),
            true);
    CutoverPlan sameServer =
        plan(
            Thresholds.defaults(),
            RouterSpec.haproxy(
                List.of(new RouterInstance("tcp://127.0.0.1:1", null)), "app", "src", "src", "2s"),
            true);

    ApplicationFailure down =
        TestPlans.failure(() -> activities.quiesceApplication(CUTOVER, unreachable));
    ApplicationFailure invalid =
        TestPlans.failure(() -> activities.pointApplication(CUTOVER, sameServer, Side.SOURCE));

    assertEquals(RouterUnavailableException.class.getName(), down.getType());
    assertFalse(down.isNonRetryable());
    assertTrue(
        down.getOriginalMessage().startsWith("router.instances[0].url tcp://127.0.0.1:1: "),
        down.getOriginalMessage());
    assertEquals(FailureTypes.INVALID_PLAN, invalid.getType());
    assertTrue(invalid.isNonRetryable());
    assertTrue(
        invalid.getOriginalMessage().startsWith("router.destinationServer: the same server"),
        invalid.getOriginalMessage());
  }
}
