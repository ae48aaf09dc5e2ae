package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.VerificationActivities;
import dev.switchback.activities.impl.VerificationActivitiesImpl;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TestReport;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The user's report from issue 10: a smoke test {@code SELECT count(*) FROM pg_sleep(15)} with
 * {@code timeout: 30s} rolled a healthy cutover back with {@code TIMEOUT_TYPE_HEARTBEAT}. Here the
 * real verification activity runs that test against the machine's PostgreSQL with the options every
 * Cutover step gets (10 s heartbeat timeout), under the worker's factory options.
 */
class SlowSmokeTestTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
  private static final String QUEUE = "slow-smoke-test";

  /**
   * CutoverWorkflowImpl's {@code verification(10 min)} options, as {@code options(deadline, 3,
   * false)} builds them (its list of non-retryable types aside: no failure here is one).
   */
  static final ActivityOptions PRODUCTION_TEST_OPTIONS =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(11))
          .setHeartbeatTimeout(Duration.ofSeconds(10))
          .setCancellationType(ActivityCancellationType.TRY_CANCEL)
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(1))
                  .setBackoffCoefficient(2)
                  .setMaximumInterval(Duration.ofSeconds(30))
                  .setMaximumAttempts(3)
                  .build())
          .build();

  @WorkflowInterface
  public interface SmokeTestsWorkflow {
    @WorkflowMethod
    TestReport run(CutoverPlan plan);
  }

  public static class SmokeTestsWorkflowImpl implements SmokeTestsWorkflow {
    @Override
    public TestReport run(CutoverPlan plan) {
      return Workflow.newActivityStub(VerificationActivities.class, PRODUCTION_TEST_OPTIONS)
          .runTests("cutover-slow-smoke-test", plan);
    }
  }

  private TestWorkflowEnvironment env;
  private HeartbeatTicker ticker;
  private Connections connections;

  @BeforeEach
  void setUp() {
    try (var c = DriverManager.getConnection(URL, "postgres", null)) {
      Assumptions.assumeTrue(c.isValid(2));
    } catch (SQLException e) {
      Assumptions.abort("PostgreSQL on 127.0.0.1:5432 (trust, user postgres) is not reachable");
    }
    ticker = new HeartbeatTicker();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkerFactoryOptions(Wiring.workerFactoryOptions(ticker))
                .build());
    connections = new Connections(new Secrets());
    Worker worker = env.newWorker(QUEUE, SwitchbackWorker.workerOptions());
    worker.registerWorkflowImplementationTypes(SmokeTestsWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new VerificationActivitiesImpl(new Registry(), connections));
    env.start();
  }

  @AfterEach
  void tearDown() {
    if (env != null) {
      env.close();
      ticker.close();
      connections.close();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void smokeTestLongerThanTheHeartbeatTimeoutPassesOnAHealthyWorker() {
    TestSpec slow =
        new TestSpec(
            "slow count",
            "sql",
            "SELECT count(*) FROM pg_sleep(15)",
            null,
            "1",
            null,
            "destination",
            "30s");
    SmokeTestsWorkflow wf =
        env.getWorkflowClient()
            .newWorkflowStub(
                SmokeTestsWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(QUEUE)
                    .setWorkflowExecutionTimeout(Duration.ofMinutes(2))
                    .build());

    TestReport report = wf.run(plan(List.of(slow)));

    assertTrue(report.passed(), "the slow smoke test must pass: " + report);
    assertTrue(
        report.results().get(0).durationMs() >= 15_000,
        "the statement really blocked 15 s in one call: " + report);
  }

  private static CutoverPlan plan(List<TestSpec> tests) {
    EndpointSpec postgres = new EndpointSpec("postgres", URL, "postgres", null, null, null);
    return new CutoverPlan(
            "slow-smoke",
            new MigrationSpec("postgres", "mig", null, null),
            postgres,
            postgres,
            new MigrationAccountSpec("migrator", null, true),
            RouterSpec.manual(),
            null,
            null,
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            tests,
            null,
            null)
        .withDefaults();
  }
}
