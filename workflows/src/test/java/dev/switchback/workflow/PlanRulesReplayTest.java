package dev.switchback.workflow;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.InvalidPlanException;
import dev.switchback.plan.PlanValidator;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A plan check added later must not break cutovers already running: a cutover started with a plan
 * that passed the checks of its day (a webhook router at {@code https://} without a signing key, a
 * bound added later, a migration account shared with the application, a literal password in
 * options) still replays after a worker upgrade, so its rollback path keeps working.
 */
class PlanRulesReplayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Plans that passed the plan check when they started and that today's check refuses. */
  static Stream<Arguments> plansRefusedToday() {
    return Stream.of(
        Arguments.of(
            "https router without a signing key",
            (Consumer<ObjectNode>)
                plan ->
                    ((ObjectNode) plan.path("router"))
                        .put("url", "https://orders-app.internal/switchback")),
        Arguments.of(
            "drainTimeout over its bound",
            (Consumer<ObjectNode>)
                plan -> ((ObjectNode) plan.path("thresholds")).put("drainTimeout", "7h")),
        Arguments.of(
            "migration account that is an application account",
            (Consumer<ObjectNode>)
                plan -> ((ObjectNode) plan.path("migrationAccount")).put("user", "sb_app")),
        Arguments.of(
            "a literal password in options",
            (Consumer<ObjectNode>)
                plan ->
                    ((ObjectNode) plan.path("source").path("options"))
                        .put("replicationPassword", "hunter2")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("plansRefusedToday")
  void aCutoverStartedUnderEarlierPlanChecksStillReplays(String what, Consumer<ObjectNode> change)
      throws Exception {
    ObjectNode history =
        (ObjectNode)
            JSON.readTree(
                Files.readString(
                    Path.of("src/test/resources/histories/e2e-postgres-cutover.json")));
    ObjectNode payload =
        (ObjectNode)
            history
                .path("events")
                .get(0)
                .path("workflowExecutionStartedEventAttributes")
                .path("input")
                .path("payloads")
                .get(0);
    ObjectNode plan =
        (ObjectNode) JSON.readTree(Base64.getDecoder().decode(payload.path("data").asText()));
    change.accept(plan);
    // The premise: today's plan check refuses this plan.
    assertThrows(
        InvalidPlanException.class,
        () -> PlanValidator.validate(JSON.treeToValue(plan, CutoverPlan.class)),
        what);
    payload.put(
        "data",
        Base64.getEncoder()
            .encodeToString(JSON.writeValueAsString(plan).getBytes(StandardCharsets.UTF_8)));

    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(
            JSON.writeValueAsString(history), "cutover-" + plan.path("name").asText()),
        CutoverWorkflowImpl.class);
  }
}
