package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchback.cli.SwitchbackCli;
import dev.switchback.messages.values.Side;
import dev.switchback.worker.EmbeddedServer;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.TemporalSettings;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The external contract (DESIGN.md section 5) from a client that is not the project's: {@code
 * interop/cutover.mjs}, on the Temporal TypeScript SDK's {@code @temporalio/client}, starts the
 * real Cutover workflow on the real worker against a port-bound test server, approves the gates by
 * signal and reads the {@code status} query, while the demo application writes to the PostgreSQL
 * lab clusters the whole time. Nothing Switchback wrote runs on the client's side.
 *
 * <p>Needs Node.js 20.3+ and npm (the client comes from the npm registry with {@code npm ci}); the
 * tests skip, saying so, where they are missing.
 */
class TypeScriptClientCutoverTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APPROVER = "interop";
  private static Path interop;
  private static EmbeddedServer server;
  private static SwitchbackWorker worker;
  private static String address;

  private static String nodeProblem;

  @TempDir Path tmp;

  @BeforeAll
  static void clientServerAndWorker() throws Exception {
    nodeProblem = nodeProblem();
    if (nodeProblem != null) {
      return; // each test skips, saying why (a skip in @BeforeAll would show as no test at all)
    }
    interop = CutoverEndToEndTest.repository().resolve("interop");
    Run npm =
        run(
            List.of("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"),
            interop,
            180);
    assertEquals(0, npm.exitCode(), "npm ci in interop/ (needs the npm registry):\n" + npm);
    server = EmbeddedServer.start("127.0.0.1", 0);
    address = server.clientAddress();
    worker =
        SwitchbackWorker.start(
            SwitchbackWorker.Options.fromEnvironment(
                    Map.of(),
                    TemporalSettings.of(address, TemporalSettings.DEFAULT_NAMESPACE),
                    false,
                    0)
                .withMetricsPort(0),
            // The demo lab writes its secret files (the router's signing key among them) under
            // the temporary directory: the worker's secret scope must reach them.
            Demo.scope());
  }

  @BeforeEach
  void nodeAndNpm() {
    Assumptions.assumeTrue(
        nodeProblem == null, "skipping the TypeScript client interop test: " + nodeProblem);
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void typeScriptClientRunsACutoverWithTheContractNamesAlone() throws Exception {
    PostgresDemoLab lab = new PostgresDemoLab();
    DemoOptions options = new DemoOptions("postgres", false, true, APPROVER, 200, 4, "2s", 0);
    Path planYaml = tmp.resolve("plan.yaml");
    CountDownLatch stop = new CountDownLatch(1);
    ExecutorService app = Executors.newSingleThreadExecutor();
    Future<Demo.Witness> witness =
        app.submit(
            () ->
                new Demo(lab, options, CutoverEndToEndTest.repository(), System.out)
                    .prepareOnly(planYaml, stop));
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!Files.exists(planYaml)) {
        if (witness.isDone()) {
          witness.get(); // throws what stopped the preparation
        }
        assertTrue(System.nanoTime() < deadline, "the demo was not prepared in 2 minutes");
        Thread.sleep(200);
      }
      Path planJson = planJson(planYaml);

      Run client = cutoverMjs(planJson);

      JsonNode s = client.json();
      assertEquals(0, client.exitCode(), client.toString());
      assertEquals("cutover-demo-postgres", s.path("workflowId").asText());
      assertEquals("COMPLETED", s.path("outcome").asText(), client.toString());
      assertEquals("DESTINATION", s.path("applicationTarget").asText());
      List<String> signalled = new ArrayList<>();
      s.path("signals")
          .forEach(
              signal -> {
                assertEquals(APPROVER, signal.path("by").asText());
                signalled.add(signal.path("gate").asText());
              });
      assertEquals(List.of("quiesce", "switch", "finalize"), signalled, client.toString());
      List<String> approvedBy = new ArrayList<>();
      s.path("approvals")
          .forEach(
              a -> approvedBy.add(a.path("gate").asText() + " " + a.path("decision").asText()));
      assertEquals(List.of("quiesce APPROVED", "switch APPROVED", "finalize APPROVED"), approvedBy);
      List<String> phases = new ArrayList<>();
      s.path("phases").forEach(p -> phases.add(p.path("phase").asText()));
      assertTrue(
          phases.containsAll(
              List.of(
                  "AWAITING_QUIESCE_APPROVAL",
                  "AWAITING_SWITCH_APPROVAL",
                  "AWAITING_FINALIZE_APPROVAL")),
          "the status query showed each gate pending: " + phases);
      assertTrue(s.path("statusReads").asInt() >= 3, client.toString());
    } finally {
      stop.countDown();
      app.shutdown();
    }
    Demo.Witness w = witness.get(3, TimeUnit.MINUTES);
    assertEquals(Side.DESTINATION, w.applicationTarget());
    assertTrue(w.acknowledgedWrites() > 100, "the application wrote during the cutover: " + w);
    assertTrue(w.clean(), "every acknowledged write is on the destination once: " + w);
  }

  @Test
  void theClientFailsWhenTheCutoverDoesNotComplete() throws Exception {
    // A plan whose forward instance does not exist: the real workflow stops at preflight
    // (read-only,
    // the lab's postgres databases are only looked at), never reaches a gate, and the client must
    // not call that a success.
    Path planYaml = tmp.resolve("broken.yaml");
    Files.writeString(
        planYaml,
        String.join(
            "\n",
            "name: interop-broken",
            "migration: {provider: postgres, instance: sb_interop_none}",
            "source: {engine: postgres, url: 'jdbc:postgresql://127.0.0.1:5433/postgres',"
                + " user: postgres, applicationAccounts: [sb_app]}",
            "destination: {engine: postgres, url:"
                + " 'jdbc:postgresql://127.0.0.1:5434/postgres', user: postgres,"
                + " applicationAccounts: [sb_app]}",
            "migrationAccount: {user: postgres, revokeAtFinalize: false}",
            "approvers: [" + APPROVER + "]",
            "approvals: unsigned",
            ""));
    Run client = cutoverMjs(planJson(planYaml));
    assertNotEquals(0, client.exitCode(), client.toString());
    JsonNode s = client.json();
    assertEquals("cutover-interop-broken", s.path("workflowId").asText());
    assertEquals(false, s.path("ok").asBoolean(true));
    assertEquals(0, s.path("signals").size(), "no gate was reached, so none was approved");
    assertNotEquals("COMPLETED", s.path("outcome").asText(), client.toString());
  }

  /** The plan as JSON, converted the documented way: {@code switchback plan json PLAN.yaml}. */
  private Path planJson(Path planYaml) throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = SwitchbackCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute("plan", "json", planYaml.toString());
    assertEquals(0, code, "plan json: " + out + err);
    Path json = tmp.resolve(planYaml.getFileName() + ".json");
    Files.writeString(json, out.toString());
    return json;
  }

  private Run cutoverMjs(Path planJson) throws Exception {
    Run r =
        run(
            List.of(
                "node",
                interop.resolve("cutover.mjs").toString(),
                "--address",
                address,
                "--plan",
                planJson.toString(),
                "--approver",
                APPROVER,
                "--timeout",
                "100",
                "--json"),
            interop,
            120);
    // The client's own timeline (stderr), for the test report.
    System.out.println(r.err());
    return r;
  }

  private record Run(int exitCode, String out, String err) {
    JsonNode json() {
      try {
        JsonNode n = JSON.readTree(out);
        if (n instanceof ObjectNode) {
          return n;
        }
      } catch (IOException e) {
        // reported below
      }
      throw new AssertionError("stdout is not one JSON object:\n" + this);
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private static Run run(List<String> command, Path dir, int timeoutSeconds) throws Exception {
    File out = File.createTempFile("interop", ".out");
    File err = File.createTempFile("interop", ".err");
    try {
      Process p =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectOutput(out)
              .redirectError(err)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " ran over " + timeoutSeconds + "s");
      }
      return new Run(
          p.exitValue(),
          Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out.toPath());
      Files.deleteIfExists(err.toPath());
    }
  }

  /** Why the client cannot run here, or null when node 20.3+ and npm are on the PATH. */
  private static String nodeProblem() {
    try {
      Run node = run(List.of("node", "--version"), Path.of("."), 30);
      Run npm = run(List.of("npm", "--version"), Path.of("."), 60);
      if (node.exitCode() != 0 || npm.exitCode() != 0) {
        return "node or npm does not run (install Node.js 20.3+ and npm)";
      }
      String[] v = node.out().trim().replace("v", "").split("\\.");
      int major = Integer.parseInt(v[0]);
      int minor = Integer.parseInt(v[1]);
      if (major < 20 || (major == 20 && minor < 3)) {
        return "node " + node.out().trim() + " is older than 20.3, which @temporalio/client needs";
      }
      return null;
    } catch (Exception e) {
      return "node and npm are not installed (install Node.js 20.3+ and npm): " + e.getMessage();
    }
  }
}
