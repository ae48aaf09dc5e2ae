package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.activities.FailureTypes;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.Outcome;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.workflow.CutoverMetrics;
import dev.switchback.workflow.CutoverWorkflow;
import dev.switchback.workflow.FakeActivities;
import dev.switchback.workflow.TestPlans;
import io.temporal.client.WorkflowOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The real worker, its embedded server and the real Cutover workflow (activities faked): after a
 * cutover, a rollback and a rollback on a lapsed fence, {@code /metrics} serves Switchback's meters
 * with exact counts, although the worker replays the whole history on every workflow task. The
 * Grafana dashboard in deploy/grafana is checked against that scrape, so it cannot ask for a metric
 * or a label the worker does not serve.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CutoverMetersEndpointTest {
  private static final Path DASHBOARD = Path.of("../deploy/grafana/switchback-dashboard.json");
  private static final String DATASOURCE = "${datasource}";

  /** Series Prometheus makes for every target it scrapes, not the worker. */
  private static final Set<String> PROMETHEUS_MADE = Set.of("up");

  /** Labels Prometheus adds to every series it scrapes. */
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  private Scrape scrape;

  @BeforeAll
  void runThreeCutoversAndScrape() throws Exception {
    int port = SwitchbackWorkerTest.freePort();
    FakeActivities fake = new FakeActivities();
    try (SwitchbackWorker worker =
        SwitchbackWorker.start(
            SwitchbackWorkerTest.options(null, true, port),
            Wiring.workflowTypes(),
            List.of(fake),
            List.of())) {
      CutoverPlan plan = TestPlans.plan(TestPlans.allAuto(), "0s");
      assertEquals(Outcome.COMPLETED, run(worker, plan).outcome());
      fake.smokeTestFails = true;
      assertEquals(Outcome.ROLLED_BACK, run(worker, plan).outcome());
      fake.smokeTestFails = false;
      fake.failOnceAs.put("startReverseIncremental", FailureTypes.FENCE_LAPSED);
      assertEquals(Outcome.ROLLED_BACK, run(worker, plan).outcome());
      // The SDK's scope reports counters every 10 s.
      scrape = awaitScrape(port, s -> s.sum("switchback_cutovers_total") >= 3);
      Files.writeString(Path.of("target/metrics-scrape.txt"), scrape.text());
    }
  }

  private static CutoverReport run(SwitchbackWorker worker, CutoverPlan plan) {
    CutoverWorkflow wf =
        worker
            .client()
            .newWorkflowStub(
                CutoverWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setTaskQueue(CutoverWorkflow.TASK_QUEUE)
                    .setWorkflowId(plan.workflowId())
                    .setWorkflowRunTimeout(Duration.ofMinutes(1))
                    .build());
    return wf.run(plan);
  }

  private static Scrape awaitScrape(int port, java.util.function.Predicate<Scrape> ready)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    Scrape last = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      last = Scrape.parse(r.body());
      if (ready.test(last)) {
        return last;
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "/metrics never showed the three cutovers within 40 s; last scrape:\n"
            + (last == null ? "" : last.text()));
  }

  /** The queries of every panel and variable, each with where it is (for the failure message). */
  private static Map<String, String> dashboardQueries(JsonNode dashboard) {
    Map<String, String> queries = new LinkedHashMap<>();
    List<JsonNode> panels = new ArrayList<>();
    dashboard.path("panels").forEach(panels::add);
    dashboard.path("panels").forEach(p -> p.path("panels").forEach(panels::add));
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        queries.put(
            "panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
            target.path("expr").asText());
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if ("query".equals(variable.path("type").asText())) {
        JsonNode query = variable.path("query");
        queries.put(
            "variable $" + variable.path("name").asText(),
            query.isTextual() ? query.asText() : query.path("query").asText());
      }
    }
    return queries;
  }

  private static JsonNode dashboard() throws Exception {
    return new ObjectMapper().readTree(Files.readString(DASHBOARD));
  }

  @Test
  void everyDashboardQueryReadsMetricsAndLabelsTheWorkerServes() throws Exception {
    Map<String, String> queries = dashboardQueries(dashboard());
    assertTrue(queries.size() > 10, "queries found: " + queries);
    List<String> problems = new ArrayList<>();
    queries.forEach(
        (where, query) -> {
          Set<String> anyServed = new TreeSet<>(TARGET_LABELS);
          PromQl.metrics(query)
              .forEach(
                  (metric, labels) -> {
                    Set<String> served = new TreeSet<>(TARGET_LABELS);
                    if (PROMETHEUS_MADE.contains(metric)) {
                      // Prometheus' own series carry only the target's labels.
                    } else if (!scrape.names().contains(metric)) {
                      problems.add(where + ": " + metric + " is not served (" + query + ")");
                      return;
                    } else {
                      scrape.series(metric).forEach(s -> served.addAll(s.labels().keySet()));
                    }
                    anyServed.addAll(served);
                    for (String label : labels) {
                      if (!served.contains(label)) {
                        problems.add(where + ": " + metric + " has no label " + label);
                      }
                    }
                  });
          for (String label : PromQl.groupingLabels(query)) {
            if (!anyServed.contains(label)) {
              problems.add(where + ": grouped by " + label + ", which no metric it reads has");
            }
          }
        });
    assertEquals(List.of(), problems, "the dashboard drifted from what the worker serves");
  }

  @Test
  void theDashboardShowsEverySwitchbackMeter() throws Exception {
    Set<String> read = new TreeSet<>();
    dashboardQueries(dashboard()).values().forEach(q -> read.addAll(PromQl.metrics(q).keySet()));
    for (String name : CutoverMetrics.NAMES) {
      String family = name.replace('.', '_');
      assertTrue(
          read.stream().anyMatch(r -> r.startsWith(family + "_")),
          family + " is on no panel; the dashboard reads " + read);
    }
  }

  @Test
  void everyPanelReadsTheTemplatedPrometheusDatasource() throws Exception {
    JsonNode dashboard = dashboard();
    assertEquals(42, dashboard.path("schemaVersion").asInt(), "the classic model's last version");
    JsonNode datasource = dashboard.path("templating").path("list").get(0);
    assertEquals("datasource", datasource.path("type").asText());
    assertEquals("prometheus", datasource.path("query").asText());
    Set<Integer> ids = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      String title = panel.path("title").asText();
      assertTrue(ids.add(panel.path("id").asInt()), "panel id repeated: " + title);
      assertTrue(panel.path("gridPos").has("w"), title + " has a place");
      if (!panel.has("targets")) {
        continue; // rows and text
      }
      assertEquals(DATASOURCE, panel.path("datasource").path("uid").asText(), title);
      for (JsonNode target : panel.path("targets")) {
        assertEquals(DATASOURCE, target.path("datasource").path("uid").asText(), title);
      }
    }
  }

  @Test
  void theWorkerServesEachCutoverOnceWithOutagesPhasesAndTheLapsedFence() {
    assertEquals(3, scrape.sum("switchback_cutovers_started_total", "plan", "orders"));
    assertEquals(1, scrape.sum("switchback_cutovers_total", "outcome", "COMPLETED"));
    assertEquals(2, scrape.sum("switchback_cutovers_total", "outcome", "ROLLED_BACK"));
    assertEquals(3, scrape.sum("switchback_cutovers_total"));
    // Every run switched forward but the one whose reverse start met the lapsed fence.
    assertEquals(2, scrape.sum("switchback_write_outage_seconds_count", "direction", "forward"));
    assertEquals(2, scrape.sum("switchback_write_outage_seconds_count", "direction", "rollback"));
    // The fake router measures its clients' wait at every resume, as the PgBouncer router does.
    assertEquals(2, scrape.sum("switchback_client_stall_seconds_count", "direction", "forward"));
    assertEquals(2, scrape.sum("switchback_client_stall_seconds_count", "direction", "rollback"));
    assertEquals(1, scrape.sum("switchback_fence_lapses_total", "step", "startReverseIncremental"));
    assertEquals(3, scrape.sum("switchback_phase_duration_seconds_count", "phase", "PREFLIGHT"));
    assertEquals(1, scrape.sum("switchback_phase_duration_seconds_count", "phase", "FINALIZING"));
    // The outage histogram has the buckets operators read, up to an hour, not the SDK's default.
    assertEquals(
        2,
        scrape.sum(
            "switchback_write_outage_seconds_bucket", "direction", "forward", "le", "3600.0"));
    assertTrue(
        scrape.series("switchback_phase_duration_seconds_bucket").stream()
            .anyMatch(s -> "604800.0".equals(s.labels().get("le"))),
        "phase buckets reach a week (a soak)");
    for (String name : CutoverMetrics.NAMES) {
      assertTrue(
          scrape.names().stream().anyMatch(n -> n.startsWith(name.replace('.', '_'))),
          name + " is served");
    }
  }
}
