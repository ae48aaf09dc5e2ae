package dev.switchback.cli;

import dev.switchback.demo.DemoOptions;
import dev.switchback.demo.Invariant;
import dev.switchback.demo.RouterDemo;
import dev.switchback.demo.RouterDemoLab;
import dev.switchback.demo.load.ClientRun;
import dev.switchback.plan.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code switchback demo --router TYPE}: runs {@link RouterDemo} and reports what the load
 * generator's own output and the comparison of the sides said, as text or as one JSON object.
 */
final class RouterDemoCommand {
  private RouterDemoCommand() {}

  static int run(DemoCommand c, Path repository) throws Exception {
    RouterDemoLab lab;
    try {
      lab = RouterDemo.lab(c.router, c.engine, repository);
    } catch (IllegalArgumentException e) {
      throw new CliException(2, e.getMessage());
    }
    Duration duration = c.duration == null ? lab.defaultDuration() : Durations.parse(c.duration);
    if (duration.toSeconds() < 5) {
      throw new CliException(
          2, "--duration " + c.duration + " is too short: one round of the load runs at least 5s");
    }
    if (duration.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new CliException(
          2,
          "--duration "
              + c.duration
              + " is too long: one round of the load runs at most 5m (rounds follow one another"
              + " until the cutover has settled, so a longer demo needs no longer round)");
    }
    DemoOptions options =
        new DemoOptions(
            c.engine,
            c.rollback,
            false,
            c.approver,
            c.rate,
            c.writers,
            c.soak,
            c.port,
            DemoCommand.payloadKeys());
    RouterDemo.Result r =
        new RouterDemo(lab, options, duration, repository, System.err).run(c.history);
    Output out = c.output;
    if (out.json()) {
      out.object(json(r));
    } else {
      out.line("");
      TimelineView.reportLines(r.report()).forEach(out::line);
      text(r).forEach(out::line);
    }
    return r.passed() ? 0 : CliException.FAILURE;
  }

  static Map<String, Object> json(RouterDemo.Result r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("engine", r.engine());
    json.put("router", r.router());
    json.put("passed", r.passed());
    json.put("problems", r.problems());
    json.put("outcome", r.outcome());
    json.put("reason", r.reason());
    json.put("writeOutageMs", r.writeOutageMs());
    json.put("applicationTarget", r.applicationTarget());
    json.put("loadCommands", r.commands());
    json.put("loadRounds", r.loadRounds());
    json.put("loadSeconds", r.loadSeconds());
    ClientRun client = r.client();
    if (client != null) {
      json.put("loadTool", client.tool());
      json.put("clientCompleted", client.completed());
      json.put("clientExitCodes", client.exitCodes());
      json.put("clientTransactions", client.transactions());
      json.put("clientFailed", client.failed());
      json.put("clientAbortedClients", client.abortedClients());
      json.put("clientMaxLatencyMs", client.maxLatencyMs());
      json.put("clientErrors", client.errors());
      json.put("clientErrorsByCode", client.errorsByCode());
      json.put("clientReconnects", client.reconnects());
      json.put("clientRefusedConnects", client.refusedConnects());
      json.put("clientMessages", client.messages());
      json.put("clientTransactionsAfterLastResume", r.transactionsAfterLastResume());
      json.put("loadAfterLastResumeMs", r.loadAfterLastResumeMs());
    }
    if (r.sides() != null) {
      json.put("sidesCompared", r.sides().kind());
      json.put(
          "identical".equals(r.sides().kind()) ? "sidesIdentical" : "destinationOnSource",
          r.sides().passed());
      json.put("tables", r.sides().tables());
    }
    // null when the run ended before anything could be checked
    json.put(
        "invariantHolds",
        r.invariants().isEmpty() ? null : r.invariants().stream().allMatch(Invariant::holds));
    json.put("invariants", r.invariants());
    json.put("wallTimeMs", r.wallTimeMs());
    json.put("timeline", r.report().timeline());
    return json;
  }

  static List<String> text(RouterDemo.Result r) {
    List<String> lines = new ArrayList<>();
    ClientRun c = r.client();
    if (c != null) {
      lines.add(
          c.summary()
              + "; "
              + r.transactionsAfterLastResume()
              + " completed after the last resume, the last "
              + Durations.human(r.loadAfterLastResumeMs())
              + " after it");
    }
    if (r.sides() != null) {
      lines.add("sides (" + r.sides().kind() + "): " + r.sides().detail());
      r.sides()
          .tables()
          .forEach(
              t ->
                  lines.add(
                      String.format(
                          "  %-22s %-22s source %,d, destination %,d: %s",
                          t.table(), t.method(), t.sourceRows(), t.destinationRows(), t.detail())));
    }
    r.invariants().forEach(i -> lines.add("invariant " + i));
    lines.add(
        String.format(
            "demo %s/%s: %s, write outage %s (workflow), wall time %s: %s",
            r.engine(),
            r.router(),
            r.outcome(),
            Durations.human(r.writeOutageMs()),
            Durations.human(r.wallTimeMs()),
            r.passed() ? "passed" : "FAILED: " + String.join("; ", r.problems())));
    return lines;
  }
}
