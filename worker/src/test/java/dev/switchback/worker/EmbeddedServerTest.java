package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class EmbeddedServerTest {
  static final SearchAttributeKey<String> PHASE =
      SearchAttributeKey.forKeyword(SwitchbackSearchAttributes.PHASE);
  static final SearchAttributeKey<String> OUTCOME =
      SearchAttributeKey.forKeyword(SwitchbackSearchAttributes.OUTCOME);
  static final String QUEUE = "search-attribute-test";

  /**
   * Upserts both attributes, as the Cutover workflow does when its phase changes and at its end.
   */
  @WorkflowInterface
  public interface UpsertWorkflow {
    @WorkflowMethod
    String run(String phase, String outcome);
  }

  public static class UpsertWorkflowImpl implements UpsertWorkflow {
    @Override
    public String run(String phase, String outcome) {
      Workflow.upsertTypedSearchAttributes(PHASE.valueSet(phase), OUTCOME.valueSet(outcome));
      return phase + "/" + outcome;
    }
  }

  EmbeddedServer server;
  WorkflowServiceStubs stubs;
  WorkflowClient client;
  WorkerFactory factory;

  @BeforeEach
  void start() {
    server = EmbeddedServer.start("127.0.0.1", 0);
    stubs =
        WorkflowServiceStubs.newConnectedServiceStubs(
            TemporalSettings.of(server.clientAddress(), "default").stubsOptions().build(),
            Duration.ofSeconds(5));
    client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace("default").build());
    factory = WorkerFactory.newInstance(client);
    factory.newWorker(QUEUE).registerWorkflowImplementationTypes(UpsertWorkflowImpl.class);
    factory.start();
  }

  @AfterEach
  void stop() {
    factory.shutdownNow();
    factory.awaitTermination(5, TimeUnit.SECONDS);
    stubs.shutdownNow();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private UpsertWorkflow newWorkflow(String id) {
    return client.newWorkflowStub(
        UpsertWorkflow.class,
        WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
  }

  @Test
  void switchbackAttributesCanBeUpsertedAfterRegistration() {
    var result = SwitchbackSearchAttributes.ensure(stubs, "default");
    assertEquals(List.of("SwitchbackPhase", "SwitchbackOutcome"), result.registered());

    String id = "upsert-" + UUID.randomUUID();
    assertEquals("DRAINING/COMPLETED", newWorkflow(id).run("DRAINING", "COMPLETED"));

    SearchAttributes attributes =
        client.newUntypedWorkflowStub(id).describe().getTypedSearchAttributes();
    assertEquals("DRAINING", attributes.get(PHASE));
    assertEquals("COMPLETED", attributes.get(OUTCOME));
  }

  @Test
  void withoutRegistrationTheSameUpsertFailsItsWorkflowTask() throws Exception {
    String id = "unregistered-" + UUID.randomUUID();
    WorkflowClient.start(newWorkflow(id)::run, "DRAINING", "COMPLETED");
    WorkflowStub untyped = client.newUntypedWorkflowStub(id);
    assertThrows(
        TimeoutException.class, () -> untyped.getResult(3, TimeUnit.SECONDS, String.class));
    List<HistoryEvent> events = client.fetchHistory(id).getEvents();
    assertTrue(
        events.stream()
            .anyMatch(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),
        "the unregistered upsert must fail the workflow task: " + events);
  }

  @Test
  void ensuringTwiceRegistersNothingTheSecondTime() {
    SwitchbackSearchAttributes.ensure(stubs, "default");
    var again = SwitchbackSearchAttributes.ensure(stubs, "default");
    assertEquals(List.of(), again.registered());
    assertEquals(List.of("SwitchbackPhase", "SwitchbackOutcome"), again.alreadyPresent());
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    // The address the server reports is one a client reaches it on.
    try (Socket s = new Socket()) {
      String[] hostPort = server.address().split(":");
      s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 1000);
    }
    InetAddress other = LocalAddresses.nonLoopback();
    assumeTrue(
        other != null,
        "this host has no non-loopback IPv4 address to prove the server is not reachable on");
    try (Socket s = new Socket()) {
      assertThrows(
          IOException.class,
          () -> s.connect(new InetSocketAddress(other, server.port()), 1000),
          "the embedded server must not be reachable on " + other);
    }
  }

  @Test
  void aTakenPortIsReportedWithTheFix() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> EmbeddedServer.start("127.0.0.1", server.port()));
    assertTrue(e.getMessage().contains(String.valueOf(server.port())), e.getMessage());
    assertTrue(e.getMessage().contains("--port"), e.getMessage());
  }
}
