package dev.switchback.workflow;

import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Cutover workflow on a time-skipping test server with {@link FakeActivities}: what every
 * workflow test starts from, and the waits they share (each bounded by a deadline).
 */
final class CutoverTestEnv implements AutoCloseable {
  final TestWorkflowEnvironment env;
  final FakeActivities fake = new FakeActivities();
  final WorkflowClient client;

  CutoverTestEnv() {
    this(TestEnvironmentOptions.getDefaultInstance());
  }

  CutoverTestEnv(TestEnvironmentOptions options) {
    env = TestWorkflowEnvironment.newInstance(options);
    env.registerSearchAttribute("SwitchbackPhase", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("SwitchbackOutcome", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    Worker worker = env.newWorker(CutoverWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(CutoverWorkflowImpl.class);
    worker.registerActivitiesImplementations(fake);
    env.start();
    client = env.getWorkflowClient();
  }

  CutoverWorkflow stub(CutoverPlan plan) {
    return client.newWorkflowStub(
        CutoverWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(plan.workflowId())
            .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
            .build());
  }

  /** Starts the cutover without waiting for it. */
  CutoverWorkflow start(CutoverPlan plan) {
    CutoverWorkflow wf = stub(plan);
    WorkflowClient.start(wf::run, plan);
    return wf;
  }

  /** The report, or a failure naming the test's wait when the workflow does not end in time. */
  static CutoverReport result(CutoverWorkflow wf) throws Exception {
    try {
      return WorkflowStub.fromTyped(wf)
          .getResultAsync(CutoverReport.class)
          .get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the cutover did not end within 60 s; status " + wf.status(), e);
    }
  }

  /** Waits until {@code condition} holds, or fails naming what was awaited. */
  static void await(String what, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened within 30 s: " + what);
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  static void awaitPhase(CutoverWorkflow wf, Phase phase) {
    await(
        "phase " + phase,
        () -> {
          try {
            return wf.status().phase() == phase;
          } catch (RuntimeException notStartedYet) {
            return false; // the first workflow task may not have run yet
          }
        });
  }

  /** The first timeline entry of {@code step}, or a failure listing the timeline. */
  static TimelineEntry entry(List<TimelineEntry> timeline, String step) {
    return timeline.stream()
        .filter(e -> e.step().equals(step))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + step + " in " + timeline));
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) {
      c = c.getCause();
    }
    return c.getMessage();
  }

  /** Keeps the history for the replay test when {@code -Dswitchback.recordHistories=DIR} is set. */
  void recordHistory(String workflowId, String testName) throws IOException {
    String dir = System.getProperty("switchback.recordHistories");
    if (dir != null) {
      String json = client.fetchHistory(workflowId).toJson(true);
      String name = testName.replaceAll("[^A-Za-z0-9]+", "_");
      Files.createDirectories(Path.of(dir));
      Files.writeString(Path.of(dir, name + ".json"), json);
    }
  }

  @Override
  public void close() {
    env.close();
  }
}
