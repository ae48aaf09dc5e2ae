package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.worker.SwitchbackSearchAttributes.SearchAttributesMissingException;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.AddSearchAttributesResponse;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesResponse;
import io.temporal.api.operatorservice.v1.OperatorServiceGrpc;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The branches a real cluster takes (it lists search attributes, the test server does not), against
 * a scripted OperatorService: orchestration logic only, no database involved.
 */
class SwitchbackSearchAttributesTest {
  static final IndexedValueType KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

  /** A cluster's operator service whose state and refusals the test sets. */
  static final class ScriptedOperator extends OperatorServiceGrpc.OperatorServiceImplBase {
    final Map<String, IndexedValueType> custom = new ConcurrentHashMap<>();
    final List<AddSearchAttributesRequest> adds = new CopyOnWriteArrayList<>();
    volatile Status refuseAdd;

    @Override
    public void listSearchAttributes(
        ListSearchAttributesRequest request,
        StreamObserver<ListSearchAttributesResponse> response) {
      response.onNext(
          ListSearchAttributesResponse.newBuilder()
              .putSystemAttributes("WorkflowType", KEYWORD)
              .putAllCustomAttributes(custom)
              .build());
      response.onCompleted();
    }

    @Override
    public void addSearchAttributes(
        AddSearchAttributesRequest request, StreamObserver<AddSearchAttributesResponse> response) {
      adds.add(request);
      if (refuseAdd != null) {
        response.onError(refuseAdd.asRuntimeException());
        return;
      }
      custom.putAll(request.getSearchAttributesMap());
      response.onNext(AddSearchAttributesResponse.getDefaultInstance());
      response.onCompleted();
    }
  }

  ScriptedOperator operator;
  Server server;
  OperatorServiceStubs stubs;

  @BeforeEach
  void start() throws Exception {
    operator = new ScriptedOperator();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(operator)
            .build()
            .start();
    stubs =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + server.getPort())
                .validateAndBuildWithDefaults());
  }

  @AfterEach
  void stop() throws Exception {
    stubs.shutdownNow();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void missingAttributesAreAddedToTheWorkersNamespace() {
    var result = SwitchbackSearchAttributes.ensure(stubs, "payments");
    assertEquals(List.of("SwitchbackPhase", "SwitchbackOutcome"), result.registered());
    assertEquals(2, operator.adds.size());
    assertEquals("payments", operator.adds.get(0).getNamespace());
    assertEquals(KEYWORD, operator.custom.get("SwitchbackPhase"));
    assertEquals(KEYWORD, operator.custom.get("SwitchbackOutcome"));
  }

  @Test
  void attributesAlreadyListedAreNotAddedAgain() {
    operator.custom.put("SwitchbackPhase", KEYWORD);
    operator.custom.put("SwitchbackOutcome", KEYWORD);
    var result = SwitchbackSearchAttributes.ensure(stubs, "payments");
    assertEquals(List.of(), result.registered());
    assertEquals(0, operator.adds.size());
  }

  @Test
  void onlyTheMissingAttributeIsAdded() {
    operator.custom.put("SwitchbackPhase", KEYWORD);
    var result = SwitchbackSearchAttributes.ensure(stubs, "payments");
    assertEquals(List.of("SwitchbackOutcome"), result.registered());
    assertEquals(1, operator.adds.size());
  }

  @Test
  void whenRegistrationIsRefusedTheWorkerFailsWithTheCommandToRun() {
    operator.refuseAdd = Status.PERMISSION_DENIED.withDescription("no admin role");
    SearchAttributesMissingException e =
        assertThrows(
            SearchAttributesMissingException.class,
            () -> SwitchbackSearchAttributes.ensure(stubs, "payments"));
    assertTrue(
        e.getMessage()
            .contains(
                "temporal operator search-attribute create --namespace payments"
                    + " --name SwitchbackPhase --type Keyword"
                    + " --name SwitchbackOutcome --type Keyword"),
        e.getMessage());
    assertTrue(e.getMessage().contains("PERMISSION_DENIED"), e.getMessage());
  }

  @Test
  void anAttributeOfAnotherTypeIsReportedWithRemoveAndCreate() {
    operator.custom.put("SwitchbackPhase", IndexedValueType.INDEXED_VALUE_TYPE_TEXT);
    SearchAttributesMissingException e =
        assertThrows(
            SearchAttributesMissingException.class,
            () -> SwitchbackSearchAttributes.ensure(stubs, "payments"));
    assertTrue(e.getMessage().contains("SwitchbackPhase is Text"), e.getMessage());
    assertTrue(
        e.getMessage().contains("temporal operator search-attribute remove --namespace payments"),
        e.getMessage());
    assertEquals(0, operator.adds.size(), "nothing may be changed when a type is wrong");
  }
}
