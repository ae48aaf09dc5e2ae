package dev.switchback.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.demo.Demo;
import dev.switchback.demo.DemoOptions;
import dev.switchback.worker.codec.PayloadKeys;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The write-outage benchmark: several demo cutovers and rollbacks at a stated write rate, each
 * measured by the workflow (writes stopped to writes resumed) and by the client (its longest
 * stall), and the workflow's reaction time taken from the server's history. It prints numbers and
 * asserts nothing about time.
 */
@Command(
    name = "bench",
    description = {
      "Runs the demo several times (cutovers, then rollbacks) and prints the write outage as the"
          + " workflow and the client saw it, and the workflow's reaction time between steps."
    })
final class BenchCommand implements Callable<Integer> {
  @Option(
      names = "--engine",
      defaultValue = "postgres",
      description = "Lab engine (default ${DEFAULT-VALUE}).")
  String engine;

  @Option(
      names = "--cutovers",
      defaultValue = "3",
      description = "Cutovers to run (default ${DEFAULT-VALUE}).")
  int cutovers;

  @Option(
      names = "--rollbacks",
      defaultValue = "3",
      description = "Rollbacks to run (default ${DEFAULT-VALUE}).")
  int rollbacks;

  @Option(
      names = "--rate",
      defaultValue = "200",
      description = "Writes per second (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(
      names = "--writers",
      defaultValue = "4",
      description = "Writer threads (default ${DEFAULT-VALUE}).")
  int writers;

  @Mixin Output output;

  @Override
  public Integer call() throws Exception {
    if (cutovers < 0 || rollbacks < 0 || cutovers + rollbacks == 0 || rate <= 0 || writers < 1) {
      throw CliException.badInput(
          "give --cutovers and/or --rollbacks above 0, --rate above 0 and --writers at least 1");
    }
    PayloadKeys keys = DemoCommand.payloadKeys();
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    List<Map<String, Object>> runs = new ArrayList<>();
    List<Long> reactions = new ArrayList<>();
    for (int i = 0; i < cutovers + rollbacks; i++) {
      boolean rollback = i >= cutovers;
      DemoOptions options =
          new DemoOptions(engine, rollback, false, "bench", rate, writers, "2s", 0, keys);
      output.note(
          String.format(
              "run %d/%d: %s ...", i + 1, cutovers + rollbacks, rollback ? "rollback" : "cutover"));
      Path history = Files.createTempFile("switchback-bench-", ".json");
      Demo.Result r;
      List<Long> runReactions;
      try {
        r = new Demo(Demo.lab(engine), options, DemoCommand.repository(), quiet).run(history);
        runReactions = reactions(Files.readString(history));
      } finally {
        Files.deleteIfExists(history);
      }
      reactions.addAll(runReactions);
      Map<String, Object> run = new LinkedHashMap<>();
      run.put("kind", rollback ? "rollback" : "cutover");
      run.put("outcome", r.outcome());
      run.put("writeOutageMs", r.writeOutageMs());
      run.put("clientMaxStallMs", r.clientMaxStallMs());
      run.put("acknowledgedWrites", r.acknowledgedWrites());
      run.put("failedWrites", r.failedWrites());
      run.put("lostRows", r.lostRows());
      run.put("duplicateRows", r.duplicateRows());
      run.put("reactionMaxMs", runReactions.stream().mapToLong(Long::longValue).max().orElse(0));
      runs.add(run);
      output.note(
          String.format(
              "  %-8s %-11s workflow outage %5d ms  client max stall %5d ms  acked %5d  failed %d"
                  + "  lost %d  dup %d",
              run.get("kind"),
              r.outcome(),
              r.writeOutageMs(),
              r.clientMaxStallMs(),
              r.acknowledgedWrites(),
              r.failedWrites(),
              r.lostRows(),
              r.duplicateRows()));
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("engine", engine);
    summary.put("ratePerSecond", rate);
    summary.put("writers", writers);
    summary.put("runs", runs);
    summary.put("cutoverOutageMs", stats(runs, "cutover", "writeOutageMs"));
    summary.put("cutoverClientStallMs", stats(runs, "cutover", "clientMaxStallMs"));
    summary.put("rollbackOutageMs", stats(runs, "rollback", "writeOutageMs"));
    summary.put("rollbackClientStallMs", stats(runs, "rollback", "clientMaxStallMs"));
    summary.put("reactionMs", stats(reactions));
    if (output.json()) {
      output.object(summary);
    } else {
      output.line("engine " + engine + ", " + rate + " writes/s, " + writers + " writers");
      for (String key :
          List.of(
              "cutoverOutageMs",
              "cutoverClientStallMs",
              "rollbackOutageMs",
              "rollbackClientStallMs",
              "reactionMs")) {
        output.line(String.format("  %-22s %s", key, summary.get(key)));
      }
      output.line(
          "  rollback outage = the switch forward plus the switch back; reaction = from an"
              + " activity completing to the next one starting (server history); inside an"
              + " activity a condition is seen within one 50 ms poll");
    }
    return 0;
  }

  /**
   * The workflow's reaction time, from the server's history: each activity's completion (the
   * condition it waited for became true, or its action was done) to the next activity's start.
   */
  static List<Long> reactions(String historyJson) throws IOException {
    JsonNode events = new ObjectMapper().readTree(historyJson).path("events");
    List<Long> out = new ArrayList<>();
    Instant completed = null;
    for (JsonNode e : events) {
      String type = e.path("eventType").asText();
      Instant at = Instant.parse(e.path("eventTime").asText());
      if (type.equals("EVENT_TYPE_ACTIVITY_TASK_COMPLETED")) {
        completed = at;
      } else if (type.equals("EVENT_TYPE_ACTIVITY_TASK_STARTED") && completed != null) {
        out.add(Math.max(0, Duration.between(completed, at).toMillis()));
        completed = null;
      } else if (type.equals("EVENT_TYPE_TIMER_STARTED")) {
        completed = null; // a deliberate wait (the soak), not a reaction
      }
    }
    return out;
  }

  private static Map<String, Object> stats(
      List<Map<String, Object>> runs, String kind, String key) {
    List<Long> values = new ArrayList<>();
    for (Map<String, Object> r : runs) {
      if (kind.equals(r.get("kind"))) {
        values.add((Long) r.get(key));
      }
    }
    return stats(values);
  }

  private static Map<String, Object> stats(List<Long> values) {
    Map<String, Object> m = new LinkedHashMap<>();
    if (values.isEmpty()) {
      return m;
    }
    List<Long> sorted = values.stream().sorted().toList();
    m.put("n", sorted.size());
    m.put("min", sorted.get(0));
    m.put("median", sorted.get(sorted.size() / 2));
    m.put("max", sorted.get(sorted.size() - 1));
    return m;
  }
}
