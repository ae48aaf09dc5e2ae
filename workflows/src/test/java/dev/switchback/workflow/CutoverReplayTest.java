package dev.switchback.workflow;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays recorded histories against today's workflow code: a change that would break a cutover
 * already running in production (non-determinism) fails here. Histories come from the workflow
 * tests ({@code -Dswitchback.recordHistories=DIR}) and from end-to-end runs against real databases
 * (starter's end-to-end test writes them the same way).
 */
class CutoverReplayTest {
  private static final Path DIR = Path.of("src/test/resources/histories");

  static Stream<Path> histories() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
    }
  }

  @Test
  void historiesAreThere() throws IOException {
    List<Path> all = histories().toList();
    assertFalse(all.isEmpty(), "no recorded history under " + DIR.toAbsolutePath());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("histories")
  void recordedCutoverReplaysWithoutNonDeterminism(Path history) throws Exception {
    // The workflow checks its id against the plan, so replay under the id it ran with.
    String json = Files.readString(history);
    WorkflowReplayer.replayWorkflowExecution(
        WorkflowExecutionHistory.fromJson(json, workflowId(json)), CutoverWorkflowImpl.class);
  }

  /** The workflow id is cutover-<plan name>; the plan is the first event's input. */
  private static String workflowId(String json) throws IOException {
    com.fasterxml.jackson.databind.ObjectMapper mapper =
        new com.fasterxml.jackson.databind.ObjectMapper();
    String data =
        mapper
            .readTree(json)
            .path("events")
            .get(0)
            .path("workflowExecutionStartedEventAttributes")
            .path("input")
            .path("payloads")
            .get(0)
            .path("data")
            .asText();
    String plan =
        new String(
            java.util.Base64.getDecoder().decode(data), java.nio.charset.StandardCharsets.UTF_8);
    return "cutover-" + mapper.readTree(plan).path("name").asText();
  }
}
