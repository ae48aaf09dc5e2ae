package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchback.activities.support.Await;
import dev.switchback.messages.commands.ApproveRequest;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.workflow.CutoverWorkflow;
import dev.switchback.workflow.CutoverWorkflowImpl;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.common.SearchAttributeKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against a real port-bound Temporal test server, with a worker running the real Cutover
 * workflow (activities that succeed without touching anything) on task queue switchback: proves the
 * CLI speaks the contract's names (workflow type, id, task queue, Updates, query) over the wire,
 * and prints the real workflow's refusals with the exit code for bad input.
 */
class CliAgainstTestServerTest {
  static SwitchbackWorker worker;
  static final SucceedingActivities activities = new SucceedingActivities();
  static String address;
  @TempDir Path dir;

  @BeforeAll
  static void startServerAndWorker() {
    worker =
        SwitchbackWorker.start(
            new SwitchbackWorker.Options(
                null, true, "127.0.0.1", 0, 0, Duration.ofSeconds(5), Duration.ofSeconds(5)),
            List.of(CutoverWorkflowImpl.class),
            List.of(activities),
            List.of());
    address = worker.embeddedAddress();
  }

  @AfterAll
  static void stop() {
    worker.close();
  }

  private Cli.Result cli(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--address";
    all[args.length + 1] = address;
    return Cli.run(all);
  }

  private Path plan(String name, String gates) {
    return Plans.write(dir, name + ".yaml", Plans.yaml(name, gates));
  }

  private JsonNode status(String id) {
    Cli.Result r = cli("status", "--id", id, "--json");
    assertEquals(0, r.exitCode(), r.toString());
    return r.json();
  }

  @Test
  void startRunsTheCutoverWorkflowWithThePlanUnderItsContractNames() throws Exception {
    Path plan = plan("orders-start", null);
    Cli.Result r = cli("start", plan.toString(), "--json");
    assertEquals(0, r.exitCode(), r.toString());
    JsonNode started = r.json();
    assertEquals("cutover-orders-start", started.get("workflowId").asText());
    assertEquals("switchback", started.get("taskQueue").asText());

    var description = worker.client().newUntypedWorkflowStub("cutover-orders-start").describe();
    assertEquals("Cutover", description.getWorkflowType());
    assertEquals("switchback", description.getTaskQueue());

    JsonNode s = Cli.awaitPhase(this::cli, "cutover-orders-start", "AWAITING_QUIESCE_APPROVAL");
    assertEquals("orders-start", s.get("status").get("plan").asText());
    assertEquals("quiesce", s.get("status").get("pendingGate").asText());
    assertEquals("RUNNING", s.get("execution").asText());
    assertEquals(
        "AWAITING_QUIESCE_APPROVAL",
        worker
            .client()
            .newUntypedWorkflowStub("cutover-orders-start")
            .describe()
            .getTypedSearchAttributes()
            .get(SearchAttributeKey.forKeyword("SwitchbackPhase")),
        "the server accepted the workflow's upsert of SwitchbackPhase");

    Cli.Result again = cli("start", plan.toString());
    assertEquals(1, again.exitCode(), again.toString());
    assertTrue(
        again.err().contains("cutover cutover-orders-start is already running"), again.toString());

    Cli.Result text = cli("status", plan.toString());
    assertEquals(0, text.exitCode(), text.toString());
    assertTrue(
        text.out().contains("cutover orders-start: phase AWAITING_QUIESCE_APPROVAL"),
        text.toString());
    assertTrue(text.out().contains("preflight"), text.toString());
    assertTrue(
        text.out()
            .contains(
                "waiting for approval of gate 'quiesce': switchback approve quiesce --by NAME"
                    + " --id cutover-orders-start"),
        text.toString());
    cli("abort", "--id", "cutover-orders-start", "--by", "alice", "--reason", "test over");
  }

  @Test
  void approveIsValidatedSynchronouslyByTheWorkflow() throws Exception {
    Path plan = plan("orders-approve", null);
    assertEquals(0, cli("start", plan.toString()).exitCode());
    String id = "cutover-orders-approve";
    Cli.awaitPhase(this::cli, id, "AWAITING_QUIESCE_APPROVAL");

    Cli.Result notPending = cli("approve", "switch", "--by", "alice", "--id", id);
    assertEquals(2, notPending.exitCode(), notPending.toString());
    assertTrue(
        notPending
            .err()
            .contains(
                "approval of gate 'switch' refused: gate 'switch' is not pending;"
                    + " pending is 'quiesce'"),
        notPending.toString());

    Cli.Result stranger = cli("approve", "quiesce", "--by", "mallory", "--plan", plan.toString());
    assertEquals(2, stranger.exitCode(), stranger.toString());
    assertTrue(
        stranger
            .err()
            .contains(
                "approval of gate 'quiesce' refused: 'mallory' may not approve: the plan's"
                    + " approvers are [alice, bob]"),
        stranger.toString());
    assertEquals(
        0, status(id).get("status").get("approvals").size(), "a refused approval changes nothing");

    Cli.Result ok =
        cli(
            "approve",
            "quiesce",
            "--by",
            "alice",
            "--comment",
            "off-peak now",
            "--id",
            id,
            "--json");
    assertEquals(0, ok.exitCode(), ok.toString());
    assertEquals("APPROVED", ok.json().get("decision").asText());
    assertEquals("alice", ok.json().get("by").asText());
    assertEquals("off-peak now", ok.json().get("comment").asText());

    JsonNode s = Cli.awaitPhase(this::cli, id, "AWAITING_SWITCH_APPROVAL");
    assertTrue(s.get("status").get("writesStopped").asBoolean());

    Cli.Result abort = cli("abort", "--by", "alice", "--reason", "changed my mind", "--id", id);
    assertEquals(2, abort.exitCode(), abort.toString());
    assertTrue(
        abort
            .err()
            .contains(
                "abort refused: writes are already stopped: abort is only possible before that;"
                    + " use rollback"),
        abort.toString());

    List<HistoryEvent> events = worker.client().fetchHistory(id).getEvents();
    long accepted =
        events.stream()
            .filter(
                e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
            .count();
    assertEquals(1, accepted, "only the valid approval reached the history");
    cli("rollback", "--id", id, "--by", "alice", "--reason", "test over");
  }

  @Test
  void signedApprovalEndToEndOnlyTheKeyHoldersSignatureApproves() throws Exception {
    Path aliceKey = dir.resolve("alice.key");
    Cli.Result generated =
        Cli.run("keys", "generate", "--out", aliceKey.toString(), "--name", "alice", "--json");
    assertEquals(0, generated.exitCode(), generated.toString());
    String publicKey = generated.json().get("publicKey").asText();
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(aliceKey)),
        "the private key is its owner's alone");
    Cli.Result overwrite = Cli.run("keys", "generate", "--out", aliceKey.toString());
    assertEquals(2, overwrite.exitCode(), overwrite.toString());
    assertTrue(overwrite.err().contains("already exists"), overwrite.toString());
    Path malloryKey = dir.resolve("mallory.key");
    assertEquals(0, Cli.run("keys", "generate", "--out", malloryKey.toString()).exitCode());

    Path plan =
        Plans.write(
            dir,
            "orders-signed.yaml",
            Plans.yaml("orders-signed", null)
                .replace("approvals: unsigned\n", "")
                .replace(
                    "approvers: [alice, bob]",
                    "approvers:\n  - name: alice\n    publicKey: " + publicKey));
    Cli.Result started = cli("start", plan.toString());
    assertEquals(0, started.exitCode(), started.toString());
    String id = "cutover-orders-signed";
    Cli.awaitPhase(this::cli, id, "AWAITING_QUIESCE_APPROVAL");

    Cli.Result unsigned = cli("approve", "quiesce", "--by", "alice", "--id", id);
    assertEquals(2, unsigned.exitCode(), unsigned.toString());
    assertTrue(
        unsigned
            .err()
            .contains("approval of gate 'quiesce' refused: approval by 'alice' is not signed"),
        unsigned.toString());
    Cli.Result forged =
        cli("approve", "quiesce", "--by", "alice", "--key", malloryKey.toString(), "--id", id);
    assertEquals(2, forged.exitCode(), forged.toString());
    assertTrue(forged.err().contains("does not verify with alice's public key"), forged.toString());

    // The signal cannot be refused: the workflow records the attempt as rejected and ignores it.
    worker
        .client()
        .newWorkflowStub(CutoverWorkflow.class, id)
        .approve(new ApproveRequest("quiesce", "alice", "typed by anyone"));
    JsonNode afterSignal =
        Await.until(
            "the unsigned approve signal is recorded",
            Duration.ofSeconds(20),
            () -> status(id).get("status"),
            s -> s.get("timeline").findValuesAsText("step").contains("approvalRejected"));
    assertEquals("quiesce", afterSignal.get("pendingGate").asText(), afterSignal.toString());
    assertEquals(0, afterSignal.get("approvals").size(), "nothing was approved");

    Files.setPosixFilePermissions(aliceKey, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result exposed =
        cli("approve", "quiesce", "--by", "alice", "--key", aliceKey.toString(), "--id", id);
    assertEquals(2, exposed.exitCode(), exposed.toString());
    assertTrue(exposed.err().contains("is readable by others"), exposed.toString());
    Files.setPosixFilePermissions(aliceKey, PosixFilePermissions.fromString("rw-------"));

    Cli.Result ok =
        cli(
            "approve",
            "quiesce",
            "--by",
            "alice",
            "--key",
            aliceKey.toString(),
            "--comment",
            "off-peak now",
            "--id",
            id,
            "--json");
    assertEquals(0, ok.exitCode(), ok.toString());
    assertEquals("APPROVED", ok.json().get("decision").asText());
    assertTrue(ok.json().get("verified").asBoolean(), ok.toString());
    Cli.awaitPhase(this::cli, id, "AWAITING_SWITCH_APPROVAL");

    Cli.Result rollback =
        cli(
            "rollback",
            "--by",
            "alice",
            "--key",
            aliceKey.toString(),
            "--reason",
            "test over",
            "--id",
            id);
    assertEquals(0, rollback.exitCode(), rollback.toString());
    Cli.Result watch = cli("watch", "--id", id, "--interval", "200ms");
    assertTrue(watch.out().contains("by alice (signature verified): test over"), watch.toString());
    String history = worker.client().fetchHistory(id).toJson(false);
    assertTrue(
        decodedPayloads(history).contains("\"signature\":{\"runId\":\""),
        "the history holds the signatures");
  }

  /** Every payload's data in an exported history, decoded (payloads are base64 in the JSON). */
  private static String decodedPayloads(String historyJson) {
    StringBuilder out = new StringBuilder();
    Matcher m = Pattern.compile("\"data\":\\s*\"([A-Za-z0-9+/=]+)\"").matcher(historyJson);
    while (m.find()) {
      out.append(new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  @Test
  void rollbackEndsTheCutoverAndWatchShowsTheReport() throws Exception {
    Path plan = plan("orders-rollback", null);
    assertEquals(0, cli("start", plan.toString()).exitCode());
    String id = "cutover-orders-rollback";
    Cli.awaitPhase(this::cli, id, "AWAITING_QUIESCE_APPROVAL");
    assertEquals(0, cli("approve", "quiesce", "--by", "bob", "--id", id).exitCode());
    Cli.awaitPhase(this::cli, id, "AWAITING_SWITCH_APPROVAL");

    // The rollback waits in its last step, so a second request meets a running rollback.
    activities.holdResume("orders-rollback");
    Cli.Result rollback =
        cli("rollback", "--by", "bob", "--reason", "p99 latency doubled", "--id", id, "--json");
    assertEquals(0, rollback.exitCode(), rollback.toString());
    assertTrue(rollback.json().get("accepted").asBoolean());
    assertTrue(rollback.json().get("message").asText().contains("by bob"), rollback.toString());
    activities.awaitHeld("orders-rollback");
    Cli.Result twice = cli("rollback", "--by", "alice", "--reason", "twice", "--id", id);
    assertEquals(2, twice.exitCode(), twice.toString());
    assertTrue(
        twice.err().contains("rollback refused: a rollback was already requested by bob"),
        twice.toString());
    Cli.Result abort = cli("abort", "--by", "alice", "--reason", "too late", "--id", id);
    assertEquals(2, abort.exitCode(), abort.toString());
    assertTrue(abort.err().contains("abort refused: writes are already stopped"), abort.toString());
    activities.release("orders-rollback");

    Cli.Result watch = cli("watch", plan.toString(), "--interval", "200ms");
    assertEquals(1, watch.exitCode(), "a rolled-back cutover is not a success: " + watch);
    assertTrue(
        watch.out().contains("outcome ROLLED_BACK: application on source"), watch.toString());
    assertTrue(
        watch.out().contains("reason: p99 latency doubled (requested by bob)"), watch.toString());
    assertTrue(watch.out().contains("quiesce   APPROVED  by bob"), watch.toString());
    assertTrue(watch.out().contains("rollback"), watch.toString());

    Cli.Result again = cli("rollback", "--by", "bob", "--reason", "after the end", "--id", id);
    assertEquals(2, again.exitCode(), again.toString());
    assertTrue(again.err().contains("no running cutover " + id), again.toString());

    Cli.Result ended = cli("status", "--id", id, "--json");
    assertEquals(0, ended.exitCode(), ended.toString());
    assertEquals("COMPLETED", ended.json().get("execution").asText());
    assertEquals("ROLLED_BACK", ended.json().get("outcome").asText());
  }

  @Test
  void startWithWatchFollowsTheTimelineUntilTheCutoverCompletes() throws Exception {
    // A short soak: the real workflow waits it out on a timer.
    Path plan =
        Plans.write(
            dir,
            "orders-watch.yaml",
            Plans.yaml(
                    "orders-watch",
                    "  quiesce: {mode: auto}\n  switch: {mode: approval}\n  finalize: {mode: auto}\n")
                .replace("soak: 10m", "soak: 1s"));
    CompletableFuture<Cli.Result> watching =
        CompletableFuture.supplyAsync(
            () -> cli("start", plan.toString(), "--watch", "--interval", "200ms"));
    Cli.awaitPhase(this::cli, "cutover-orders-watch", "AWAITING_SWITCH_APPROVAL");
    assertEquals(
        0, cli("approve", "switch", "--by", "alice", "--id", "cutover-orders-watch").exitCode());
    Cli.Result r = watching.get(30, TimeUnit.SECONDS);
    assertEquals(0, r.exitCode(), r.toString());
    String out = r.out();
    assertTrue(out.contains("started cutover cutover-orders-watch"), out);
    // The watch polls every 200 ms and the approval follows the gate at once, so the waiting
    // phase itself may fall between two polls; the gate's timeline line is always there.
    assertTrue(out.matches("(?s).*gate:switch +OK .*approved by alice.*"), out);
    assertTrue(out.contains("fenceWrites"), out);
    assertTrue(out.indexOf("fenceWrites") < out.indexOf("pointApplication"), out);
    assertTrue(out.contains("outcome COMPLETED: application on destination"), out);
    assertTrue(out.contains("switch    APPROVED  by alice"), out);
    assertTrue(out.contains("quiesce   AUTO      by switchback"), out);
  }

  @Test
  void watchingAnUnknownCutoverIsBadInput() {
    Cli.Result r = cli("watch", "--id", "cutover-nobody");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(
        r.err().contains("no running cutover cutover-nobody in namespace default"), r.toString());
  }
}
