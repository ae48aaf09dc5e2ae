package dev.switchback.workflow;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * A plan check added later must not break cutovers already running: a cutover started with a
 * webhook router at {@code https://} without a signing key (allowed before the plan check asked for
 * one) still replays after a worker upgrade, so its rollback path keeps working.
 */
class PlanRulesReplayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aCutoverStartedBeforeTheWebUrlRulesReplaysWithItsPlan() throws Exception {
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
    // Passed the plan check when it ran; today's check refuses it: no signing key across the
    // network.
    ((ObjectNode) plan.path("router")).put("url", "https://orders-app.internal/switchback");
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
