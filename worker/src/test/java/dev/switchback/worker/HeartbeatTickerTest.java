package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HeartbeatTicker} against Temporal's test server in real time: a step that blocks longer
 * than its heartbeat timeout lives, its own heartbeat details survive the ticks, a cancelled step's
 * blocking call is interrupted, a step still ends at its start-to-close deadline, and a worker that
 * stops is still found dead by the heartbeat timeout.
 */
class HeartbeatTickerTest {
  static final Duration HEARTBEAT = Duration.ofSeconds(2);

  /** Three heartbeat timeouts: long enough that any step without ticks would be timed out. */
  static final long BLOCK_MS = 3 * HEARTBEAT.toMillis();

  /**
   * The SDK's send throttle scaled down with the heartbeat timeout, as the worker's is (a quarter
   * of it), so a busy test machine does not pass for a dead worker.
   */
  static final WorkerOptions WORKER =
      WorkerOptions.newBuilder().setMaxHeartbeatThrottleInterval(HEARTBEAT.dividedBy(4)).build();

  static final String QUEUE = "heartbeat-ticker";
  static final String DOOMED_QUEUE = "heartbeat-ticker-doomed";

  /** Heartbeat details shaped like Switchback's own (records of lists, through Jackson). */
  public record Progress(String table, List<Integer> rangesDone) {}

  @ActivityInterface
  public interface Steps {
    /** Attempt 1 heartbeats "progress-7", blocks, fails; attempt 2 returns what it reads. */
    String ownDetailsThenBlock();

    /**
     * Attempt 1 heartbeats a progress record and fails; attempt 2 blocks without heartbeating and
     * fails; attempt 3 returns what it reads.
     */
    String previousDetailsThenBlock();

    /** Blocks in an interruptible wait until interrupted. */
    String blockUntilInterrupted();

    /** Blocks ignoring interrupts, as a JDBC call in socket I/O does. */
    String blockIgnoringInterrupts();
  }

  @WorkflowInterface
  public interface Probe {
    @WorkflowMethod
    String run(String step, int attempts, Duration startToClose);

    @SignalMethod
    void cancelStep();
  }

  public static class ProbeImpl implements Probe {
    private boolean cancel;
    private Promise<String> pending;

    @Override
    public String run(String step, int attempts, Duration startToClose) {
      ActivityOptions options =
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(startToClose)
              .setHeartbeatTimeout(HEARTBEAT)
              .setTaskQueue(step.equals("blockIgnoringInterrupts") ? DOOMED_QUEUE : QUEUE)
              // The workflow stays open until the step ended, so a tick hears "cancel requested"
              // (not "workflow gone") and the step can report its cancellation.
              .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(100))
                      .setMaximumAttempts(attempts)
                      .build())
              .build();
      Steps steps = Workflow.newActivityStub(Steps.class, options);
      CancellationScope scope =
          Workflow.newCancellationScope(
              () ->
                  pending =
                      switch (step) {
                        case "ownDetailsThenBlock" -> Async.function(steps::ownDetailsThenBlock);
                        case "previousDetailsThenBlock" ->
                            Async.function(steps::previousDetailsThenBlock);
                        case "blockUntilInterrupted" ->
                            Async.function(steps::blockUntilInterrupted);
                        default -> Async.function(steps::blockIgnoringInterrupts);
                      });
      scope.run();
      Workflow.await(() -> cancel || pending.isCompleted());
      if (cancel) {
        scope.cancel();
      }
      try {
        return pending.get();
      } catch (ActivityFailure e) {
        if (e.getCause() instanceof TimeoutFailure t) {
          return t.getTimeoutType().name();
        }
        if (e.getCause() instanceof CanceledFailure) {
          return "cancelled";
        }
        throw e;
      }
    }

    @Override
    public void cancelStep() {
      cancel = true;
    }
  }

  /** Records what each step saw, for the test to assert on. */
  public static class StepsImpl implements Steps {
    final Map<String, String> seen = new ConcurrentHashMap<>();
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch interrupted = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public String ownDetailsThenBlock() {
      ActivityExecutionContext context = Activity.getExecutionContext();
      int attempt = context.getInfo().getAttempt();
      if (attempt == 1) {
        context.heartbeat("progress-7");
        block(BLOCK_MS);
        seen.put("attempt 1 after the block", read(context));
        seen.put("attempt 1 finished", "yes");
        throw ApplicationFailure.newFailure("attempt 1 fails on purpose", "Probe");
      }
      return read(context) + (seen.containsKey("attempt 1 finished") ? "" : " (attempt 1 cut)");
    }

    @Override
    public String previousDetailsThenBlock() {
      ActivityExecutionContext context = Activity.getExecutionContext();
      int attempt = context.getInfo().getAttempt();
      if (attempt == 1) {
        context.heartbeat(new Progress("orders", List.of(0, 1, 7)));
        throw ApplicationFailure.newFailure("attempt 1 fails on purpose", "Probe");
      }
      if (attempt == 2) {
        block(BLOCK_MS);
        seen.put("attempt 2 after the block", readProgress(context));
        throw ApplicationFailure.newFailure("attempt 2 fails on purpose", "Probe");
      }
      return readProgress(context);
    }

    @Override
    public String blockUntilInterrupted() {
      started.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
        return "not interrupted";
      } catch (InterruptedException e) {
        interrupted.countDown();
        // The heartbeat throws the cancellation the tick learnt of, so it is reported as such.
        Activity.getExecutionContext().heartbeat("stopping");
        throw Activity.wrap(e);
      }
    }

    @Override
    public String blockIgnoringInterrupts() {
      started.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (release.getCount() > 0 && System.nanoTime() < deadline) {
        try {
          release.await(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          seen.put("interrupted", "yes"); // and carries on, as a blocked socket read would
        }
      }
      return "finished";
    }

    private static String readProgress(ActivityExecutionContext context) {
      return context.getHeartbeatDetails(Progress.class).map(Progress::toString).orElse("none");
    }

    private static String read(ActivityExecutionContext context) {
      return context.getHeartbeatDetails(String.class).orElse("no details");
    }

    /** The slow step itself: one call that blocks for {@code ms}. */
    private static void block(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw Activity.wrap(e);
      }
    }
  }

  private TestWorkflowEnvironment env;
  private HeartbeatTicker ticker;
  private final StepsImpl steps = new StepsImpl();

  @BeforeEach
  void setUp() {
    ticker = new HeartbeatTicker();
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkerFactoryOptions(Wiring.workerFactoryOptions(ticker))
                .build());
    Worker worker = env.newWorker(QUEUE, WORKER);
    worker.registerWorkflowImplementationTypes(ProbeImpl.class);
    worker.registerActivitiesImplementations(steps);
    env.start();
  }

  @AfterEach
  void tearDown() {
    steps.release.countDown();
    env.close();
    ticker.close();
  }

  private Probe probe() {
    return env.getWorkflowClient()
        .newWorkflowStub(
            Probe.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowExecutionTimeout(Duration.ofMinutes(2))
                .build());
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void ownDetailsSurviveTheTicksWithinTheAttemptAndIntoTheRetry() {
    String result = probe().run("ownDetailsThenBlock", 2, Duration.ofSeconds(30));

    assertEquals("progress-7", steps.seen.get("attempt 1 after the block"));
    assertEquals("progress-7", result, "the retry resumes from the blocked attempt's details");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void previousAttemptsDetailsSurviveTicksBeforeTheActivityHeartbeatsItself() {
    String result = probe().run("previousDetailsThenBlock", 3, Duration.ofSeconds(30));

    String attempt1 = new Progress("orders", List.of(0, 1, 7)).toString();
    assertEquals(attempt1, steps.seen.get("attempt 2 after the block"));
    assertEquals(attempt1, result, "the ticks re-sent attempt 1's details, not null");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void cancellingAStepInterruptsItsBlockingCall() throws Exception {
    Probe probe = probe();
    WorkflowClient.start(probe::run, "blockUntilInterrupted", 1, Duration.ofSeconds(50));
    assertTrue(steps.started.await(20, TimeUnit.SECONDS), "the step started");

    probe.cancelStep();

    assertTrue(
        steps.interrupted.await(20, TimeUnit.SECONDS),
        "the step never heartbeats itself: only a tick can learn of the cancel and interrupt it");
    assertEquals(
        "cancelled", WorkflowStub.fromTyped(probe).getResult(20, TimeUnit.SECONDS, String.class));
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aSlowStepStillEndsAtItsStartToCloseDeadline() throws Exception {
    String result =
        probe().run("blockUntilInterrupted", 1, Duration.ofSeconds(3 * HEARTBEAT.toSeconds()));

    assertEquals("TIMEOUT_TYPE_START_TO_CLOSE", result);
    assertTrue(
        steps.interrupted.await(20, TimeUnit.SECONDS),
        "a tick learns the timed-out attempt is gone and interrupts it");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWorkerThatStopsIsStillFoundDeadByTheHeartbeatTimeout() throws Exception {
    String result = stopTheWorkerUnderABlockedStep(WorkerFactory::shutdownNow);

    assertEquals("TIMEOUT_TYPE_HEARTBEAT", result);
    assertEquals(1, steps.release.getCount(), "the step's thread was still running");
    assertEquals("yes", steps.seen.get("interrupted"), "the worker's shutdown interrupted it");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aWorkerShuttingDownGracefullyNoLongerTicksForItsSteps() throws Exception {
    // Graceful shutdown lets the step run on, but the SDK refuses its heartbeats from then on: a
    // step that outlives the heartbeat timeout is retried elsewhere, as for a dead worker.
    String result = stopTheWorkerUnderABlockedStep(WorkerFactory::shutdown);

    assertEquals("TIMEOUT_TYPE_HEARTBEAT", result);
    assertEquals(1, steps.release.getCount(), "the step's thread was still running");
  }

  /**
   * Runs a step deaf to interrupts on a worker of its own, stops that worker while the step's
   * thread keeps running in this JVM beside a ticker that is still up, and returns how the step
   * ended for the workflow.
   */
  private String stopTheWorkerUnderABlockedStep(Consumer<WorkerFactory> stop) throws Exception {
    WorkerFactory doomed =
        WorkerFactory.newInstance(env.getWorkflowClient(), Wiring.workerFactoryOptions(ticker));
    doomed.newWorker(DOOMED_QUEUE, WORKER).registerActivitiesImplementations(steps);
    doomed.start();
    Probe probe = probe();
    WorkflowClient.start(probe::run, "blockIgnoringInterrupts", 1, Duration.ofSeconds(50));
    assertTrue(steps.started.await(20, TimeUnit.SECONDS), "the step started");

    stop.accept(doomed);

    return WorkflowStub.fromTyped(probe).getResult(30, TimeUnit.SECONDS, String.class);
  }
}
