package dev.switchback.worker;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.api.operatorservice.v1.ListSearchAttributesResponse;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The keyword search attributes the Cutover workflow upserts for the UI and for {@code temporal
 * workflow list --query}. A workflow that upserts an attribute the namespace does not know fails
 * its workflow task over and over, so the worker makes sure they exist before it polls: it
 * registers the missing ones (OperatorService AddSearchAttributes, which the embedded test server
 * implements too) and, when it cannot, stops with the command an operator runs once.
 */
public final class SwitchbackSearchAttributes {
  public static final String PHASE = "SwitchbackPhase";
  public static final String OUTCOME = "SwitchbackOutcome";

  /** Every attribute the workflow upserts, and its type. */
  public static final Map<String, IndexedValueType> REQUIRED = required();

  private SwitchbackSearchAttributes() {}

  /** What {@link #ensure} did. */
  public record Result(List<String> registered, List<String> alreadyPresent) {}

  /** Opens operator stubs with the same target, TLS and credentials as {@code workflowStubs}. */
  public static Result ensure(WorkflowServiceStubs workflowStubs, String namespace) {
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder(workflowStubs.getOptions())
                .validateAndBuildWithDefaults());
    try {
      return ensure(operator, namespace);
    } finally {
      operator.shutdown();
      if (!operator.awaitTermination(5, TimeUnit.SECONDS)) {
        operator.shutdownNow();
      }
    }
  }

  /**
   * Registers whatever of {@link #REQUIRED} is missing in {@code namespace}.
   *
   * @throws SearchAttributesMissingException with the command to run when they are missing and
   *     cannot be registered, or exist with another type
   */
  public static Result ensure(OperatorServiceStubs operator, String namespace) {
    Map<String, IndexedValueType> existing = list(operator, namespace);
    List<String> wrongType = new ArrayList<>();
    List<String> present = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, IndexedValueType> want : REQUIRED.entrySet()) {
      IndexedValueType have = existing == null ? null : existing.get(want.getKey());
      if (have == null) {
        missing.add(want.getKey());
      } else if (have != want.getValue()) {
        wrongType.add(want.getKey() + " is " + typeName(have));
      } else {
        present.add(want.getKey());
      }
    }
    if (!wrongType.isEmpty()) {
      throw new SearchAttributesMissingException(
          "search attributes in namespace "
              + namespace
              + " have the wrong type ("
              + String.join(", ", wrongType)
              + "; Switchback needs Keyword). Remove them and create them again:\n  temporal"
              + " operator search-attribute remove --namespace "
              + namespace
              + REQUIRED.keySet().stream().map(n -> " --name " + n).collect(Collectors.joining())
              + "\n  "
              + createCommand(namespace));
    }
    List<String> registered = new ArrayList<>();
    for (String name : missing) {
      // One request per attribute: the test server refuses a whole request when any attribute in
      // it already exists, and another worker may be registering the same ones right now.
      try {
        operator
            .blockingStub()
            .addSearchAttributes(
                AddSearchAttributesRequest.newBuilder()
                    .setNamespace(namespace)
                    .putSearchAttributes(name, REQUIRED.get(name))
                    .build());
        registered.add(name);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
          present.add(name);
        } else {
          throw cannotRegister(namespace, "registering " + name + " failed", e);
        }
      }
    }
    return new Result(List.copyOf(registered), List.copyOf(present));
  }

  /** The command an operator runs once per namespace when the worker may not register them. */
  public static String createCommand(String namespace) {
    return "temporal operator search-attribute create --namespace "
        + namespace
        + REQUIRED.entrySet().stream()
            .map(e -> " --name " + e.getKey() + " --type " + typeName(e.getValue()))
            .collect(Collectors.joining());
  }

  /** Null when the server cannot list them (the test server implements only add and remove). */
  private static Map<String, IndexedValueType> list(OperatorServiceStubs operator, String ns) {
    try {
      ListSearchAttributesResponse response =
          operator
              .blockingStub()
              .listSearchAttributes(
                  ListSearchAttributesRequest.newBuilder().setNamespace(ns).build());
      Map<String, IndexedValueType> all = new HashMap<>(response.getSystemAttributesMap());
      all.putAll(response.getCustomAttributesMap());
      return all;
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        return null;
      }
      throw cannotRegister(ns, "listing search attributes failed", e);
    }
  }

  private static SearchAttributesMissingException cannotRegister(
      String namespace, String what, StatusRuntimeException e) {
    return new SearchAttributesMissingException(
        "the worker cannot make sure the search attributes "
            + String.join(", ", REQUIRED.keySet())
            + " exist in namespace "
            + namespace
            + " ("
            + what
            + ": "
            + e.getStatus().getCode()
            + (e.getStatus().getDescription() == null ? "" : " " + e.getStatus().getDescription())
            + "). Register them once with an account allowed to, then start the worker again:\n  "
            + createCommand(namespace)
            + "\n(Temporal Cloud: add them as Keyword in the namespace's search attribute settings,"
            + " in the Cloud UI or with tcld.)",
        e);
  }

  private static String typeName(IndexedValueType type) {
    String n = type.name().replace("INDEXED_VALUE_TYPE_", "").toLowerCase();
    return switch (n) {
      case "keyword_list" -> "KeywordList";
      case "datetime" -> "Datetime";
      default -> Character.toUpperCase(n.charAt(0)) + n.substring(1);
    };
  }

  private static Map<String, IndexedValueType> required() {
    Map<String, IndexedValueType> m = new LinkedHashMap<>();
    m.put(PHASE, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    m.put(OUTCOME, IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    return java.util.Collections.unmodifiableMap(m);
  }

  /** The search attributes are missing or wrong and the worker cannot fix that itself. */
  public static final class SearchAttributesMissingException extends IllegalStateException {
    SearchAttributesMissingException(String message) {
      super(message);
    }

    SearchAttributesMissingException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
