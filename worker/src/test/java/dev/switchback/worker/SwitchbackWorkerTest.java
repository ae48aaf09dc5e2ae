package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.workflow.CutoverWorkflow;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SwitchbackWorkerTest {
  static final SearchAttributeKey<String> PHASE =
      SearchAttributeKey.forKeyword(SwitchbackSearchAttributes.PHASE);

  @WorkflowInterface
  public interface ProbeWorkflow {
    @WorkflowMethod
    String run(int activityMillis);
  }

  @ActivityInterface
  public interface ProbeActivities {
    String work(int millis);
  }

  public static class ProbeWorkflowImpl implements ProbeWorkflow {
    private final ProbeActivities activities =
        Workflow.newActivityStub(
            ProbeActivities.class,
            ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public String run(int activityMillis) {
      Workflow.upsertTypedSearchAttributes(PHASE.valueSet("DRAINING"));
      return activities.work(activityMillis);
    }
  }

  @WorkflowInterface
  public interface SlowProbeWorkflow {
    @WorkflowMethod
    String run(int activityMillis);
  }

  /** A step with a heartbeat timeout much shorter than its one blocking call, never retried. */
  public static class SlowProbeWorkflowImpl implements SlowProbeWorkflow {
    private final ProbeActivities activities =
        Workflow.newActivityStub(
            ProbeActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(30))
                .setHeartbeatTimeout(Duration.ofSeconds(2))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());

    @Override
    public String run(int activityMillis) {
      return activities.work(activityMillis);
    }
  }

  /** Records whether the work ran to its end or was interrupted. */
  public static class ProbeActivitiesImpl implements ProbeActivities {
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicBoolean finished = new AtomicBoolean();

    @Override
    public String work(int millis) {
      started.countDown();
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
      finished.set(true);
      return "worked " + millis + "ms";
    }
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static SwitchbackWorker.Options options(
      TemporalSettings settings, boolean embedded, int metrics) {
    return new SwitchbackWorker.Options(
        settings, embedded, "127.0.0.1", 0, metrics, Duration.ofSeconds(20), Duration.ofSeconds(5));
  }

  @Test
  void embeddedWorkerRunsWorkflowsWithItsAttributesAndServesSdkMetrics() throws Exception {
    int metricsPort = freePort();
    ProbeActivitiesImpl activities = new ProbeActivitiesImpl();
    try (SwitchbackWorker worker =
        SwitchbackWorker.start(
            options(null, true, metricsPort),
            List.of(ProbeWorkflowImpl.class),
            List.of(activities),
            List.of())) {
      assertNotNull(worker.embeddedAddress());
      String id = "probe-" + UUID.randomUUID();
      ProbeWorkflow wf =
          worker
              .client()
              .newWorkflowStub(
                  ProbeWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                      .setWorkflowId(id)
                      .build());
      assertEquals("worked 10ms", wf.run(10));
      assertEquals(
          "DRAINING",
          worker
              .client()
              .newUntypedWorkflowStub(id)
              .describe()
              .getTypedSearchAttributes()
              .get(PHASE));

      HttpClient http = HttpClient.newHttpClient();
      String body = "";
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
      while (System.nanoTime() < deadline && !body.contains("temporal_workflow_completed")) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        body = r.body();
        Thread.sleep(500);
      }
      assertTrue(
          body.contains("temporal_workflow_completed"),
          "the SDK's metrics must reach /metrics; got:\n" + body);
      assertTrue(body.contains("jvm_memory_used_bytes"), "JVM metrics are served too");
    }
    // Everything is released: the metrics port can be bound again.
    assertDoesNotThrow(() -> new ServerSocket(metricsPort).close(), "the port is released");
  }

  @Test
  void workerKeepsAStepAliveThatBlocksPastItsHeartbeatTimeout() {
    // The activity never heartbeats and sleeps three heartbeat timeouts: only the worker's own
    // heartbeat ticker keeps it alive (invariant 8).
    try (SwitchbackWorker worker =
        SwitchbackWorker.start(
            options(null, true, 0),
            List.of(SlowProbeWorkflowImpl.class),
            List.of(new ProbeActivitiesImpl()),
            List.of())) {
      SlowProbeWorkflow wf =
          worker
              .client()
              .newWorkflowStub(
                  SlowProbeWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                      .setWorkflowId("slow-" + UUID.randomUUID())
                      .setWorkflowExecutionTimeout(Duration.ofMinutes(1))
                      .build());
      assertEquals("worked 6000ms", wf.run(6000));
    }
  }

  @Test
  void shutdownLetsTheActivityInFlightFinishAndReportItsResult() throws Exception {
    ProbeActivitiesImpl activities = new ProbeActivitiesImpl();
    try (EmbeddedServer server = EmbeddedServer.start("127.0.0.1", 0)) {
      TemporalSettings cluster = TemporalSettings.of(server.clientAddress(), "default");
      SwitchbackWorker worker =
          SwitchbackWorker.start(
              options(cluster, false, 0),
              List.of(ProbeWorkflowImpl.class),
              List.of(activities),
              List.of());
      String id = "graceful-" + UUID.randomUUID();
      WorkflowClient.start(
          worker
                  .client()
                  .newWorkflowStub(
                      ProbeWorkflow.class,
                      WorkflowOptions.newBuilder()
                          .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                          .setWorkflowId(id)
                          .build())
              ::run,
          2000);
      assertTrue(activities.started.await(20, TimeUnit.SECONDS), "the activity never started");
      worker.close();
      assertTrue(activities.finished.get(), "the activity in flight was cut short by shutdown");

      WorkflowServiceStubs stubs =
          WorkflowServiceStubs.newConnectedServiceStubs(
              cluster.stubsOptions().build(), Duration.ofSeconds(5));
      try {
        WorkflowClient client =
            WorkflowClient.newInstance(
                stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
        assertTrue(
            client.fetchHistory(id).getEvents().stream()
                .anyMatch(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
            "the finished activity's result must reach the server before the worker exits");
      } finally {
        stubs.shutdownNow();
      }
    }
  }

  @Test
  void aServerThatAnswersLateIsWaitedForUntilTheConnectTimeout() throws Exception {
    // Found under load: a worker exited at its first unanswered call (3.5 s) although its connect
    // timeout was 15 s. Here the port first accepts and drops connections (a frontend starting),
    // and the real server comes up only after the worker has been turned away once.
    ServerSocket starting = new ServerSocket(0);
    int port = starting.getLocalPort();
    CountDownLatch turnedAway = new CountDownLatch(1);
    Thread doorman =
        new Thread(
            () -> {
              try {
                while (true) {
                  starting.accept().close();
                  turnedAway.countDown();
                }
              } catch (java.io.IOException closed) {
                // the real server takes the port
              }
            });
    doorman.start();
    var worker =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                SwitchbackWorker.start(
                    new SwitchbackWorker.Options(
                        TemporalSettings.of("127.0.0.1:" + port, "default"),
                        false,
                        "127.0.0.1",
                        0,
                        0,
                        Duration.ofSeconds(5),
                        Duration.ofSeconds(60)),
                    List.of(ProbeWorkflowImpl.class),
                    List.of(new ProbeActivitiesImpl()),
                    List.of()));
    assertTrue(turnedAway.await(30, TimeUnit.SECONDS), "the worker asked the starting port");
    starting.close();
    doorman.join(10_000);
    assertTrue(
        !worker.isDone(), "the worker is still asking, not gone: " + worker.handle((w, e) -> e));
    try (EmbeddedServer server = EmbeddedServer.start("127.0.0.1", port);
        SwitchbackWorker started = worker.get(60, TimeUnit.SECONDS)) {
      assertEquals("127.0.0.1:" + port, started.settings().address());
      assertNotNull(server.clientAddress());
    }
  }

  @Test
  void anUnreachableServerFailsFastWithTheFixAndLeavesNothingRunning() throws Exception {
    int metricsPort = freePort();
    int nobody = freePort();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                SwitchbackWorker.start(
                    options(
                            TemporalSettings.of("127.0.0.1:" + nobody, "default"),
                            false,
                            metricsPort)
                        .withShutdownGrace(Duration.ofSeconds(1)),
                    List.of(ProbeWorkflowImpl.class),
                    List.of(new ProbeActivitiesImpl()),
                    List.of()));
    assertTrue(
        e.getMessage().contains("cannot reach Temporal at 127.0.0.1:" + nobody), e.getMessage());
    assertTrue(e.getMessage().contains("switchback server"), e.getMessage());
    assertDoesNotThrow(() -> new ServerSocket(metricsPort).close(), "the port is released");
  }

  @Test
  void theConnectTimeoutComesFromTheEnvironment() {
    assertEquals(
        Duration.ofSeconds(30),
        SwitchbackWorker.Options.fromEnvironment(Map.of(), null, true, 0).connectTimeout());
    assertEquals(
        Duration.ofMinutes(2),
        SwitchbackWorker.Options.fromEnvironment(
                Map.of(SwitchbackWorker.CONNECT_VARIABLE, "2m"), null, true, 0)
            .connectTimeout());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SwitchbackWorker.Options.fromEnvironment(
                    Map.of(SwitchbackWorker.CONNECT_VARIABLE, "soon"), null, true, 0));
    assertTrue(e.getMessage().startsWith("SWITCHBACK_CONNECT_TIMEOUT='soon'"), e.getMessage());
  }

  @Test
  void anAbsurdConnectTimeoutIsRefusedNamingTheBound() {
    // A worker pointed at a wrong address would otherwise keep asking for ten years, or not once.
    for (String absurd : new String[] {"3650d", "0s"}) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  SwitchbackWorker.Options.fromEnvironment(
                      Map.of(SwitchbackWorker.CONNECT_VARIABLE, absurd), null, true, 0));
      assertTrue(
          e.getMessage().startsWith("SWITCHBACK_CONNECT_TIMEOUT='" + absurd + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("from 1s to 10m"), e.getMessage());
    }
  }

  @Test
  void metricsPortComesFromTheEnvironmentAndZeroTurnsThemOff() {
    assertEquals(9464, Metrics.portFrom(Map.of()));
    assertEquals(9100, Metrics.portFrom(Map.of("SWITCHBACK_METRICS_PORT", "9100")));
    assertEquals(0, Metrics.portFrom(Map.of("SWITCHBACK_METRICS_PORT", "0")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.portFrom(Map.of("SWITCHBACK_METRICS_PORT", "ninety")));
    assertTrue(e.getMessage().contains("SWITCHBACK_METRICS_PORT"), e.getMessage());
    try (Metrics off = Metrics.start(0, 1)) {
      assertEquals(false, off.enabled());
    }
  }

  @Test
  void shutdownGraceComesFromTheEnvironmentAndIsChecked() {
    TemporalSettings local = TemporalSettings.of("127.0.0.1:7233", "default");
    assertEquals(
        Duration.ofSeconds(30),
        SwitchbackWorker.Options.fromEnvironment(Map.of(), local, false, 7233).shutdownGrace());
    assertEquals(
        Duration.ofMinutes(2),
        SwitchbackWorker.Options.fromEnvironment(
                Map.of("SWITCHBACK_SHUTDOWN_GRACE", "2m"), local, false, 7233)
            .shutdownGrace());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SwitchbackWorker.Options.fromEnvironment(
                    Map.of("SWITCHBACK_SHUTDOWN_GRACE", "soon"), local, false, 7233));
    assertTrue(e.getMessage().contains("SWITCHBACK_SHUTDOWN_GRACE"), e.getMessage());
  }
}
