package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.SecretScope;
import dev.switchback.activities.support.Secrets;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11's webhook-token probe through a real worker: the JDK's header check quotes the token it
 * refuses, and neither the failure the workflow sees nor the history holds it.
 */
@Timeout(60)
class FailureRedactionTest {
  private static final String QUEUE = "failure-redaction";
  private static final String TOKEN = "hist-token-one\nhist-token-two";

  @ActivityInterface
  public interface Call {
    void call();
  }

  @WorkflowInterface
  public interface Caller {
    @WorkflowMethod
    String run();
  }

  public static class CallerImpl implements Caller {
    @Override
    public String run() {
      Call call =
          Workflow.newActivityStub(
              Call.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(10))
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                  .build());
      try {
        call.call();
        return "no failure";
      } catch (ActivityFailure f) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = f; c != null; c = c.getCause()) {
          b.append(c instanceof ApplicationFailure a ? a.getOriginalMessage() : c.getMessage());
          b.append(" | ");
        }
        return b.toString();
      }
    }
  }

  private final Secrets secrets =
      new Secrets(
          Map.of("SWITCHBACK_SECRET_TOKEN", TOKEN),
          SecretScope.of(
              "SWITCHBACK_SECRET_", List.of(Path.of("/nonexistent-switchback")), Map.of()));
  private TestWorkflowEnvironment env;
  private HeartbeatTicker ticker;

  @BeforeEach
  void setUp() {
    ticker = new HeartbeatTicker();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkerFactoryOptions(Wiring.workerFactoryOptions(ticker, secrets))
                .build());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(CallerImpl.class);
    worker.registerActivitiesImplementations(
        (Call)
            () -> {
              String token = secrets.resolve("router.token", "env:SWITCHBACK_SECRET_TOKEN");
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:1/state"))
                  .header("Authorization", "Bearer " + token);
            });
    env.start();
  }

  @AfterEach
  void tearDown() {
    env.close();
    ticker.close();
  }

  @Test
  void theRefusedHeaderValueReachesNeitherTheWorkflowNorTheHistory() {
    Caller caller =
        env.getWorkflowClient()
            .newWorkflowStub(
                Caller.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(QUEUE)
                    .setWorkflowId("failure-redaction")
                    .setWorkflowExecutionTimeout(Duration.ofSeconds(50))
                    .build());

    String seen = caller.run();

    assertTrue(seen.contains("invalid header value"), seen);
    assertTrue(seen.contains("[redacted]"), seen);
    String history = env.getWorkflowClient().fetchHistory("failure-redaction").toJson(false);
    for (String part : List.of("hist-token-one", "hist-token-two")) {
      assertFalse(seen.contains(part), part + " reached the workflow: " + seen);
      assertFalse(history.contains(part), part + " is in the history");
    }
  }
}
