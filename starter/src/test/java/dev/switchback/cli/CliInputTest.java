package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchback.activities.DatabaseActivities;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.messages.values.SessionReport;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Everything the CLI refuses before it talks to Temporal or a database. */
class CliInputTest {
  @TempDir Path dir;

  static int unusedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void anInvalidPlanIsRejectedFieldByFieldBeforeTemporalIsContacted() throws Exception {
    String yaml =
        Plans.yaml("orders", null)
            .replace("  url: jdbc:postgresql://127.0.0.1:5433/orders\n", "")
            .replace("password: env:SOURCE_PASSWORD", "password: hunter2");
    Path plan = Plans.write(dir, "orders.yaml", yaml);
    Cli.Result r = Cli.run("start", plan.toString(), "--address", "127.0.0.1:" + unusedPort());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("source.url: missing"), r.toString());
    assertTrue(
        r.err().contains("fix: give the admin connection URL, e.g. jdbc:postgresql://"),
        r.toString());
    assertTrue(
        r.err().contains("source.password: a literal password would be stored in workflow history"),
        r.toString());
    assertTrue(r.err().contains("fix: write a reference: env:NAME"), r.toString());
    assertTrue(r.err().contains("nothing was done"), r.toString());
    assertFalse(r.err().contains("cannot reach Temporal"), "no connection before validation");
  }

  @Test
  void aPreparedDemoNeedsAPlanFileItCanWriteBeforeAnythingStarts() {
    Cli.Result noFile = Cli.run("demo", "--prepare-only");
    assertEquals(2, noFile.exitCode(), noFile.toString());
    assertTrue(noFile.err().contains("--prepare-only needs --plan-out FILE"), noFile.toString());
    Cli.Result alone = Cli.run("demo", "--plan-out", dir.resolve("p.yaml").toString());
    assertEquals(2, alone.exitCode(), alone.toString());
    assertTrue(alone.err().contains("--plan-out is for --prepare-only"), alone.toString());
    Path missing = dir.resolve("no-such-dir").resolve("p.yaml");
    Cli.Result noDir = Cli.run("demo", "--prepare-only", "--plan-out", missing.toString());
    assertEquals(2, noDir.exitCode(), noDir.toString());
    assertTrue(noDir.err().contains("does not exist; create it"), noDir.toString());
    assertFalse(Files.exists(missing.getParent()), "nothing was created");
  }

  @Test
  void aRouterDemoWhoseOptionsCannotWorkIsRefusedBeforeAnythingStarts() {
    Cli.Result engine = Cli.run("demo", "--engine", "mariadb", "--router", "pgbouncer");
    assertEquals(2, engine.exitCode(), engine.toString());
    assertTrue(
        engine.err().contains("use --engine postgres --router pgbouncer"), engine.toString());
    Cli.Result unknown = Cli.run("demo", "--router", "envoy");
    assertEquals(2, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("use pgbouncer or haproxy"), unknown.toString());
    Cli.Result alone = Cli.run("demo", "--duration", "20s");
    assertEquals(2, alone.exitCode(), alone.toString());
    assertTrue(alone.err().contains("--duration is for the --router demos"), alone.toString());
    Cli.Result shortLoad = Cli.run("demo", "--router", "pgbouncer", "--duration", "2s");
    assertEquals(2, shortLoad.exitCode(), shortLoad.toString());
    assertTrue(shortLoad.err().contains("runs at least 5s"), shortLoad.toString());
    // An absurd round (a typo for 10s) would hold the demo, its lab and a paused cutover for days.
    Cli.Result longLoad = Cli.run("demo", "--router", "pgbouncer", "--duration", "10d");
    assertEquals(2, longLoad.exitCode(), longLoad.toString());
    assertTrue(longLoad.err().contains("at most 5m"), longLoad.toString());
    Cli.Result gates =
        Cli.run("demo", "--engine", "mariadb", "--router", "haproxy", "--interactive");
    assertEquals(2, gates.exitCode(), gates.toString());
    assertTrue(gates.err().contains("times the gates around it"), gates.toString());
  }

  @Test
  void anUnknownFieldIsNamedWithTheFieldsThatExist() {
    Path plan =
        Plans.write(
            dir,
            "typo.yaml",
            Plans.yaml("orders", null)
                .replace("  user: switchback\n  password", "  usr: x\n  password"));
    Cli.Result r = Cli.run("plan", "check", "--no-preflight", plan.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("source.usr: unknown field 'usr'"), r.toString());
    assertTrue(r.err().contains("fix: remove it or use one of ["), r.toString());
    assertTrue(r.err().contains("user"), r.toString());
  }

  @Test
  void everyProblemIsReportedInOneRunStructuralAndSemantic() {
    String yaml =
        Plans.yaml("orders", null)
            .replace("  user: switchback\n  password", "  usr: x\n  password")
            .replace("soak: 10m", "soak: ten minutes")
            .replace("approvers: [alice, bob]", "approvers: alice");
    Path plan = Plans.write(dir, "many.yaml", yaml);
    Cli.Result r = Cli.run("plan", "json", "--json", plan.toString());
    assertEquals(2, r.exitCode(), r.toString());
    List<String> fields = new java.util.ArrayList<>();
    r.json().get("problems").forEach(p -> fields.add(p.get("field").asText()));
    assertEquals(List.of("source.usr", "approvers", "soak"), fields, r.toString());
  }

  @Test
  void aFieldOfTheWrongShapeIsNamedWithWhatToWrite() {
    Path plan =
        Plans.write(
            dir,
            "shape.yaml",
            Plans.yaml("orders", null)
                .replace("approvers: [alice, bob]", "approvers: {alice: yes}"));
    Cli.Result r = Cli.run("plan", "json", plan.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("approvers: has the wrong shape"), r.toString());
    assertTrue(r.err().contains("fix: write a list"), r.toString());
  }

  @Test
  void aYamlSyntaxErrorGivesTheLine() {
    Path plan = Plans.write(dir, "broken.yaml", "name: 'orders\nsource:\n");
    Cli.Result r = Cli.run("plan", "json", plan.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("(yaml): not valid YAML (line"), r.toString());
  }

  @Test
  void aDuplicateKeyIsRefusedNamingTheKeyAndTheLine() {
    // A second gates: block used to replace the first silently, making every gate auto.
    String yaml =
        Plans.yaml("orders", "  quiesce: {mode: approval}\n  switch: {mode: approval}\n")
            + "gates:\n  quiesce: {mode: auto}\n";
    Path plan = Plans.write(dir, "dup.yaml", yaml);
    List<String> lines = yaml.lines().toList();
    int second = lines.lastIndexOf("gates:") + 1;
    assertTrue(second > lines.indexOf("gates:") + 1, "the plan has two gates: blocks");

    Cli.Result r = Cli.run("plan", "check", "--no-preflight", plan.toString());

    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(
        r.err().contains("gates: appears twice (again at line " + second + ")"), r.toString());
    assertTrue(r.err().contains("fix: keep one gates: and merge"), r.toString());
  }

  @Test
  void aDuplicateNestedKeyIsNamedByItsPath() {
    Path plan =
        Plans.write(
            dir,
            "dup-nested.yaml",
            Plans.yaml("orders", null)
                .replace(
                    "  user: switchback\n  password",
                    "  user: switchback\n  user: root\n  password"));

    Cli.Result r = Cli.run("plan", "json", "--json", plan.toString());

    assertEquals(2, r.exitCode(), r.toString());
    assertEquals(
        "source.user", r.json().get("problems").get(0).get("field").asText(), r.toString());
  }

  @Test
  void everyExamplePlanPassesThePlanCheck() throws Exception {
    List<Path> examples;
    try (java.util.stream.Stream<Path> files = Files.list(Path.of("..", "plans"))) {
      examples = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertFalse(examples.isEmpty(), "plans/*.yaml");
    for (Path example : examples) {
      Cli.Result r = Cli.run("plan", "check", "--no-preflight", example.toString());
      assertEquals(0, r.exitCode(), example + ": " + r);
    }
  }

  @Test
  void aMissingPlanFileIsBadInput() {
    Cli.Result r = Cli.run("plan", "check", dir.resolve("nope.yaml").toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("nope.yaml: no such file"), r.toString());
  }

  @Test
  void withJsonTheProblemsAreOneObjectOnStdout() {
    Path plan = Plans.write(dir, "bad.yaml", "name: Orders!\n");
    Cli.Result r = Cli.run("plan", "json", "--json", plan.toString());
    assertEquals(2, r.exitCode(), r.toString());
    JsonNode error = r.json();
    assertEquals(2, error.get("exitCode").asInt());
    JsonNode problems = error.get("problems");
    assertTrue(problems.size() >= 3, r.toString());
    boolean nameProblem = false;
    for (JsonNode p : problems) {
      assertTrue(p.hasNonNull("field") && p.hasNonNull("problem"), p.toString());
      nameProblem |= p.get("field").asText().equals("name") && p.hasNonNull("fix");
    }
    assertTrue(nameProblem, r.toString());
  }

  @Test
  void planJsonPrintsThePlanAsWrittenForTheTemporalCli() throws Exception {
    Path plan =
        Plans.write(
            dir, "orders.yaml", Plans.yaml("orders", "  switch: {mode: approval, timeout: 30m}\n"));
    Cli.Result r = Cli.run("plan", "json", plan.toString());
    assertEquals(0, r.exitCode(), r.toString());
    CutoverPlan printed = Output.JSON.readValue(r.out(), CutoverPlan.class);
    assertEquals(PlanFiles.read(plan).plan(), printed);
    assertEquals("30m", r.json().get("gates").get("switch").get("timeout").asText());
    assertFalse(r.json().has("thresholds"), "1:1: defaults are the workflow's business");
  }

  @Test
  void planCheckWithoutPreflightOnlyValidates() {
    Path plan = Plans.write(dir, "orders.yaml", Plans.yaml("orders", null));
    Cli.Result r = Cli.run("plan", "check", "--no-preflight", plan.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(r.out().contains("plan orders"), r.toString());
    assertTrue(r.out().contains("workflow id   cutover-orders"), r.toString());
    assertTrue(r.out().contains("reverse instance sb_rev_orders"), r.toString());
  }

  /** Stands in for the database activities; preflight only. */
  static final class ScriptedPreflight implements DatabaseActivities {
    final PreflightReport report;
    final AtomicReference<CutoverPlan> seen = new AtomicReference<>();

    ScriptedPreflight(PreflightReport report) {
      this.report = report;
    }

    @Override
    public PreflightReport preflight(String cutoverId, CutoverPlan plan) {
      seen.set(plan);
      return report;
    }

    @Override
    public FenceResult fenceWrites(String cutoverId, CutoverPlan plan, Side side) {
      throw new AssertionError("plan check must not fence");
    }

    @Override
    public FenceResult unfenceWrites(String cutoverId, CutoverPlan plan, Side side) {
      throw new AssertionError("plan check must not unfence");
    }

    @Override
    public SessionReport checkSessions(String cutoverId, CutoverPlan plan, Side side) {
      throw new AssertionError("not used");
    }

    @Override
    public String revokeMigrationAccount(String cutoverId, CutoverPlan plan) {
      throw new AssertionError("plan check must not revoke");
    }
  }

  private static CommandLine.IFactory preflightWith(ScriptedPreflight preflight) {
    return new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == PlanCommand.Check.class) {
          return cls.cast(new PlanCommand.Check((registry, connections) -> preflight));
        }
        return CommandLine.defaultFactory().create(cls);
      }
    };
  }

  @Test
  void planCheckPrintsEveryPreflightCheckAndFailsWhenOneDoesNotHold() {
    Path plan = Plans.write(dir, "orders.yaml", Plans.yaml("orders", null));
    ScriptedPreflight preflight =
        new ScriptedPreflight(
            new PreflightReport(
                false,
                List.of(
                    new PreflightCheck("source reachable", true, "PostgreSQL 15.20"),
                    new PreflightCheck(
                        "reverse path possible",
                        false,
                        "wal_level is replica on the destination: set wal_level=logical"))));
    Cli.Result r = Cli.run(preflightWith(preflight), "plan", "check", plan.toString());
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.out().contains("ok    source reachable"), r.toString());
    assertTrue(
        r.out().contains("FAIL  reverse path possible")
            && r.out().contains("set wal_level=logical"),
        r.toString());
    assertTrue(r.out().contains("1 of 2 checks do not hold"), r.toString());
    assertEquals("cutover-orders", preflight.seen.get().workflowId());
    assertEquals("5s", preflight.seen.get().thresholds().maxLatencyToStart(), "validated plan");
  }

  @Test
  void planCheckShowsAWarningWithoutFailing() {
    Path plan = Plans.write(dir, "orders.yaml", Plans.yaml("orders", null));
    ScriptedPreflight preflight =
        new ScriptedPreflight(
            new PreflightReport(
                true,
                List.of(
                    new PreflightCheck("source reachable", true, "PostgreSQL 15.20"),
                    PreflightCheck.warning(
                        "source: transport",
                        "source.url has no sslmode: add sslmode=verify-full to source.url"))));
    Cli.Result r = Cli.run(preflightWith(preflight), "plan", "check", "--json", plan.toString());
    assertEquals(0, r.exitCode(), r.toString());
    assertTrue(
        r.json().get("preflight").get("checks").get(1).get("warning").asBoolean(), r.toString());

    Cli.Result text = Cli.run(preflightWith(preflight), "plan", "check", plan.toString());
    assertEquals(0, text.exitCode(), text.toString());
    assertTrue(text.out().contains("warn  source: transport"), text.toString());
    assertTrue(text.out().contains("all 2 checks hold, 1 with a warning"), text.toString());
  }

  @Test
  void planCheckPassesWhenEveryCheckHoldsAndReportsThemInJson() {
    Path plan = Plans.write(dir, "orders.yaml", Plans.yaml("orders", null));
    ScriptedPreflight preflight =
        new ScriptedPreflight(
            new PreflightReport(true, List.of(new PreflightCheck("source reachable", true, "ok"))));
    Cli.Result r = Cli.run(preflightWith(preflight), "plan", "check", "--json", plan.toString());
    assertEquals(0, r.exitCode(), r.toString());
    JsonNode json = r.json();
    assertTrue(json.get("valid").asBoolean());
    assertEquals(
        "source reachable", json.get("preflight").get("checks").get(0).get("check").asText());
  }

  @Test
  void anUnknownGateIsNamedWithTheGatesThatExist() throws Exception {
    Cli.Result r =
        Cli.run(
            "approve",
            "swich",
            "--by",
            "alice",
            "--id",
            "cutover-orders",
            "--address",
            "127.0.0.1:" + unusedPort());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(
        r.err().contains("GATE: 'swich' is not a gate (fix: use one of quiesce, switch, finalize)"),
        r.toString());
  }

  @Test
  void approvingWithoutANameIsBadInput() {
    Cli.Result r = Cli.run("approve", "switch", "--id", "cutover-orders");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("Missing required option: '--by=NAME'"), r.toString());
  }

  @Test
  void aCommandWithoutACutoverAsksWhichOne() {
    Cli.Result r = Cli.run("rollback", "--by", "alice", "--reason", "latency");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("which cutover? give --id cutover-<plan name>"), r.toString());
  }

  @Test
  void anUnreachableTemporalIsAFailureWithTheFix() throws Exception {
    int port = unusedPort();
    Cli.Result r = Cli.run("status", "--id", "cutover-orders", "--address", "127.0.0.1:" + port);
    assertEquals(1, r.exitCode(), r.toString());
    assertTrue(r.err().contains("cannot reach Temporal at 127.0.0.1:" + port), r.toString());
    assertTrue(r.err().contains("switchback server"), r.toString());
  }

  @Test
  void anUnknownCommandIsBadInput() {
    Cli.Result r = Cli.run("cutover");
    assertEquals(2, r.exitCode(), r.toString());
  }
}
