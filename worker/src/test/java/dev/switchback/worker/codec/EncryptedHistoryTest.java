package dev.switchback.worker.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.worker.Wiring;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Through a real worker and the test server: with payload keys, the history holds neither the
 * workflow's input and result nor an activity's failure message in clear, while the workflow sees
 * them decoded; the history replays with the keys and fails clearly without them.
 */
@Timeout(60)
class EncryptedHistoryTest {
  private static final String QUEUE = "encrypted-history";
  private static final String PLAN =
      "plan ledger: source pg-src.codec.test:5432, table ledger_entries, approvers carol, dave";
  private static final List<String> PLAN_TEXT =
      List.of("pg-src.codec.test", "ledger_entries", "carol", "dave");

  @ActivityInterface
  public interface Step {
    String check(String plan);
  }

  @WorkflowInterface
  public interface Carrier {
    @WorkflowMethod
    String run(String plan);
  }

  public static class CarrierImpl implements Carrier {
    @Override
    public String run(String plan) {
      Step step =
          Workflow.newActivityStub(
              Step.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(10))
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                  .build());
      try {
        return step.check(plan);
      } catch (ActivityFailure f) {
        return "seen by the workflow: " + ((ApplicationFailure) f.getCause()).getOriginalMessage();
      }
    }
  }

  static PayloadKeys keys(String current, byte[]... material) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < material.length; i++) {
      m.put("k" + (i + 1), material[i]);
    }
    return PayloadKeys.of(m, current);
  }

  private final byte[] k1 = EncryptionCodecTest.material();
  private TestWorkflowEnvironment env;

  static TestWorkflowEnvironment environment(PayloadKeys keys) {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setUseTimeskipping(false)
            .setWorkflowClientOptions(
                WorkflowClientOptions.newBuilder()
                    .setDataConverter(Wiring.dataConverter(keys))
                    .build())
            .build());
  }

  @BeforeEach
  void setUp() {
    env = environment(keys("k1", k1));
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(CarrierImpl.class);
    worker.registerActivitiesImplementations(
        (Step)
            plan -> {
              throw ApplicationFailure.newNonRetryableFailure(
                  "cannot connect to pg-src.codec.test:5432 for table ledger_entries",
                  "Unreachable");
            });
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private WorkflowExecutionHistory run() {
    String seen =
        env.getWorkflowClient()
            .newWorkflowStub(
                Carrier.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(QUEUE)
                    .setWorkflowId("encrypted-history")
                    .setWorkflowExecutionTimeout(Duration.ofSeconds(50))
                    .build())
            .run(PLAN);
    assertEquals(
        "seen by the workflow: cannot connect to pg-src.codec.test:5432 for table ledger_entries",
        seen,
        "the workflow and the client see everything decoded");
    return env.getWorkflowClient().fetchHistory("encrypted-history");
  }

  @Test
  void theHistoryHoldsNeitherThePlanNorTheActivityFailureInClear() {
    String history = run().toJson(true);

    assertEquals(List.of(), ClearText.find(history, PLAN_TEXT), history);
    assertTrue(history.contains("Encoded failure"), "failure messages are encoded too: " + history);
  }

  @Test
  void theHistoryReplaysWithTheKeysAndFailsClearlyWithoutThem() throws Exception {
    WorkflowExecutionHistory history = run();

    try (TestWorkflowEnvironment rotated =
        environment(keys("k2", k1, EncryptionCodecTest.material()))) {
      WorkflowReplayer.replayWorkflowExecution(history, rotated, CarrierImpl.class);
    }
    try (TestWorkflowEnvironment keyless = environment(PayloadKeys.none())) {
      Exception e =
          assertThrows(
              Exception.class,
              () -> WorkflowReplayer.replayWorkflowExecution(history, keyless, CarrierImpl.class));
      String chain = chain(e);
      assertTrue(chain.contains("key id 'k1'"), chain);
      assertTrue(chain.contains("this process has no payload keys"), chain);
    }
  }

  private static String chain(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = e; c != null; c = c.getCause()) {
      b.append(c).append('\n');
    }
    return b.toString();
  }
}
