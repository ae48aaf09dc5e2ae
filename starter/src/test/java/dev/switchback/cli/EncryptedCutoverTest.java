package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.Wiring;
import dev.switchback.worker.codec.ClearText;
import dev.switchback.worker.codec.PayloadKeys;
import dev.switchback.workflow.CutoverWorkflowImpl;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real Cutover with payload encryption on in the worker and the CLI: the CLI starts it, approves
 * its gates and reads its status and report decoded, while the history the server keeps holds none
 * of the plan's text. With {@code -Dswitchback.recordEncryptedHistory=FILE} the history is written
 * there (the codec server's test reads the recorded one under {@code resources/codec}).
 */
class EncryptedCutoverTest {
  static final Path KEYS = Path.of("src/test/resources/codec/keys").toAbsolutePath();
  static final String OLD_KEY = "lab-2026-06";
  static final String NEW_KEY = "lab-2026-12";

  static final String PLAN =
      """
      name: codec-demo
      migration:
        provider: postgres
        instance: ledger_mig
      source:
        engine: postgres
        url: jdbc:postgresql://pg-src.codec.test:5432/ledger
        user: ledger_admin
        password: env:SWITCHBACK_SECRET_LEDGER_SOURCE
      destination:
        engine: postgres
        url: jdbc:postgresql://pg-dst.codec.test:5432/ledger
        user: ledger_admin
      migrationAccount:
        user: ledger_migrator
      router:
        type: webhook
        url: https://router.codec.test/switchback
        signingKey: env:SWITCHBACK_SECRET_LEDGER_ROUTER_KEY
      approvers: [carol, dave]
      approvals: unsigned
      tests:
        - name: entries readable
          sql: select count(*) from ledger_entries
      gates:
        quiesce: {mode: approval}
        switch: {mode: approval}
        finalize: {mode: auto}
      soak: 1s
      """;

  /** Everything of the plan and its approvals that must not be readable in the history. */
  static final List<String> PLAN_TEXT =
      List.of(
          "pg-src.codec.test",
          "pg-dst.codec.test",
          "ledger_entries",
          "ledger_admin",
          "ledger_migrator",
          "ledger_mig",
          "router.codec.test",
          "SWITCHBACK_SECRET_LEDGER_SOURCE",
          "SWITCHBACK_SECRET_LEDGER_ROUTER_KEY",
          "carol",
          "dave",
          "window CHG-4711");

  /** The environment of a shell with the lab keys, {@code lab-2026-06} encrypting. */
  static Map<String, String> keyEnv(String current) {
    Map<String, String> env = new HashMap<>();
    env.put(PayloadKeys.DIR_VARIABLE, KEYS.toString());
    env.put(PayloadKeys.CURRENT_VARIABLE, current);
    return env;
  }

  static SwitchbackWorker worker;
  static String address;
  @TempDir Path dir;

  @BeforeAll
  static void startServerAndWorker() {
    worker =
        SwitchbackWorker.start(
            new SwitchbackWorker.Options(
                    null, true, "127.0.0.1", 0, 0, Duration.ofSeconds(5), Duration.ofSeconds(5))
                .withPayloadKeys(PayloadKeys.fromEnvironment(keyEnv(OLD_KEY))),
            List.of(CutoverWorkflowImpl.class),
            List.of(new SucceedingActivities()),
            List.of());
    address = worker.embeddedAddress();
  }

  @AfterAll
  static void stop() {
    worker.close();
  }

  /** The CLI in a shell whose environment is {@code env}. */
  static Cli.Result cli(Map<String, String> env, String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--address";
    all[args.length + 1] = address;
    return Cli.run(
        new CommandLine.IFactory() {
          @Override
          public <K> K create(Class<K> cls) throws Exception {
            return cls == ConnectionOptions.class
                ? cls.cast(new ConnectionOptions(env))
                : CommandLine.defaultFactory().create(cls);
          }
        },
        all);
  }

  @Test
  void theCliRunsAnEncryptedCutoverAndTheHistoryHoldsNoPlanText() throws Exception {
    Path plan = Plans.write(dir, "codec-demo.yaml", PLAN);
    String id = "cutover-codec-demo";
    Map<String, String> env = keyEnv(OLD_KEY);

    assertEquals(0, cli(env, "start", plan.toString()).exitCode());
    JsonNode waiting = Cli.awaitPhase(args -> cli(env, args), id, "AWAITING_QUIESCE_APPROVAL");
    assertEquals("codec-demo", waiting.path("status").path("plan").asText());
    Cli.Result approved =
        cli(env, "approve", "quiesce", "--by", "carol", "--comment", "window CHG-4711", "--id", id);
    assertEquals(0, approved.exitCode(), approved.toString());
    Cli.awaitPhase(args -> cli(env, args), id, "AWAITING_SWITCH_APPROVAL");
    assertEquals(0, cli(env, "approve", "switch", "--by", "dave", "--id", id).exitCode());

    Cli.Result watch = cli(env, "watch", "--id", id, "--interval", "200ms");
    assertEquals(0, watch.exitCode(), watch.toString());
    assertTrue(watch.out().contains("outcome COMPLETED"), watch.toString());
    assertTrue(watch.out().contains("quiesce   APPROVED  by carol"), watch.toString());

    String history = worker.client().fetchHistory(id).toJson(true);
    String record = System.getProperty("switchback.recordEncryptedHistory");
    if (record != null && !record.isBlank()) {
      Files.writeString(Path.of(record), history);
    }
    assertEquals(List.of(), ClearText.find(history, PLAN_TEXT), "plan text in the history");
    List<ClearText.PayloadAt> payloads = ClearText.payloads(history);
    // The SDK leaves two kinds in clear: search attributes (the server indexes them) and its
    // version markers (a change id and a number); neither holds plan text.
    List<ClearText.PayloadAt> clear =
        payloads.stream()
            .filter(p -> !p.encoding().equals("binary/encrypted"))
            .filter(p -> !p.path().contains(".searchAttributes.indexedFields.Switchback"))
            .filter(
                p ->
                    !p.path()
                        .matches(
                            ".*markerRecordedEventAttributes\\.details\\.(changeId|version)\\..*"))
            .toList();
    assertEquals(List.of(), clear, "payloads in clear");
    assertEquals(
        Set.of(OLD_KEY),
        payloads.stream()
            .filter(p -> p.encoding().equals("binary/encrypted"))
            .map(ClearText.PayloadAt::keyId)
            .collect(java.util.stream.Collectors.toSet()),
        "encrypted with the current key");
    Cli.Result keyless = cli(Map.of(), "status", "--id", id);
    assertEquals(1, keyless.exitCode(), keyless.toString());
    assertTrue(keyless.err().contains("key id '" + OLD_KEY + "'"), keyless.toString());
    assertTrue(keyless.err().contains("this process has no payload keys"), keyless.toString());
  }

  @Test
  void aWronglyConfiguredKeyIsBadInputBeforeAnythingIsStarted() throws Exception {
    Path plan = Plans.write(dir, "codec-bad-key.yaml", PLAN.replace("codec-demo", "codec-bad"));
    Path keys = Files.createDirectories(dir.resolve("keys"));
    Files.writeString(keys.resolve("short.key"), "c2hvcnQ=\n");

    Cli.Result r = cli(Map.of(PayloadKeys.DIR_VARIABLE, keys.toString()), "start", plan.toString());

    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().startsWith("SWITCHBACK_PAYLOAD_KEY_DIR: key file "), r.toString());
    assertTrue(r.err().contains("holds 5 bytes; AES-256 needs exactly 32"), r.toString());
    Cli.Result status = cli(keyEnv(OLD_KEY), "status", "--id", "cutover-codec-bad");
    assertEquals(2, status.exitCode(), "nothing was started: " + status);
  }

  @Test
  void theRecordedEncryptedHistoryReplaysWithTheKeysAndNamesTheMissingOne() throws Exception {
    WorkflowExecutionHistory history =
        WorkflowExecutionHistory.fromJson(
            Files.readString(CodecServerCommandTest.HISTORY), "cutover-codec-demo");

    // Rotated since: the new key encrypts, the old one still decrypts.
    try (TestWorkflowEnvironment rotated = replayEnvironment(keyEnv(NEW_KEY))) {
      WorkflowReplayer.replayWorkflowExecution(history, rotated, CutoverWorkflowImpl.class);
    }
    Map<String, String> newOnly =
        Map.of(
            PayloadKeys.KEYS_VARIABLE,
            "only-new:" + Files.readString(KEYS.resolve(NEW_KEY + ".key")).strip());
    try (TestWorkflowEnvironment missing = replayEnvironment(newOnly)) {
      Exception e =
          assertThrows(
              Exception.class,
              () ->
                  WorkflowReplayer.replayWorkflowExecution(
                      history, missing, CutoverWorkflowImpl.class));
      StringBuilder chain = new StringBuilder();
      for (Throwable c = e; c != null; c = c.getCause()) {
        chain.append(c).append('\n');
      }
      assertTrue(chain.toString().contains("key id '" + OLD_KEY + "'"), chain.toString());
    }
  }

  private static TestWorkflowEnvironment replayEnvironment(Map<String, String> env) {
    return TestWorkflowEnvironment.newInstance(
        TestEnvironmentOptions.newBuilder()
            .setWorkflowClientOptions(
                WorkflowClientOptions.newBuilder()
                    .setDataConverter(Wiring.dataConverter(PayloadKeys.fromEnvironment(env)))
                    .build())
            .build());
  }
}
