package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.activities.support.Await;
import dev.switchback.worker.codec.ClearText;
import dev.switchback.worker.codec.PayloadKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code switchback codec-server} speaks the Temporal codec server protocol as the {@code temporal}
 * CLI ({@code --codec-endpoint http://HOST:PORT/{namespace}}) and the Temporal UI use it: a real
 * encrypted Cutover history (recorded by {@link EncryptedCutoverTest}) is posted over HTTP and
 * comes back as the plan, for authorised users only.
 */
class CodecServerCommandTest {
  static final Path HISTORY = Path.of("src/test/resources/codec/encrypted-cutover-history.json");
  static final String ALICE = "alice-7c1f0d5e8a9b4c3d";
  static final String BOB = "bob-2e4f6a8c0b1d3f5a";
  static final String UI = "http://localhost:8080";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final List<Running> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  record Running(
      CodecServerCommand command, CompletableFuture<Integer> exit, StringWriter err, String url) {}

  @AfterEach
  void stopServers() throws Exception {
    for (Running r : started) {
      r.command().stop();
      assertEquals(0, r.exit().get(20, TimeUnit.SECONDS), r.err().toString());
    }
  }

  /** Only the key that encrypted the recorded history. */
  Map<String, String> oldKeyOnly() throws Exception {
    return onlyKey(EncryptedCutoverTest.OLD_KEY);
  }

  /** Only the key rotated in after the recording. */
  Map<String, String> newKeyOnly() throws Exception {
    return onlyKey(EncryptedCutoverTest.NEW_KEY);
  }

  private Map<String, String> onlyKey(String id) throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys-" + id));
    Files.copy(
        EncryptedCutoverTest.KEYS.resolve(id + ".key"),
        keys.resolve(id + ".key"),
        StandardCopyOption.REPLACE_EXISTING);
    return Map.of(PayloadKeys.DIR_VARIABLE, keys.toString());
  }

  Path tokens() throws Exception {
    return Files.writeString(
        dir.resolve("tokens"),
        "# who may decode: user:token\nalice:" + ALICE + "\n\nbob:" + BOB + "\n");
  }

  Running start(Map<String, String> env, String... args) throws Exception {
    CodecServerCommand command = new CodecServerCommand(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = SwitchbackCli.commandLine(factory(command));
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of("codec-server", "--port", "0", "--json"));
    all.addAll(List.of(args));
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(() -> cl.execute(all.toArray(new String[0])));
    String printed =
        Await.until(
            "the codec server's address",
            Duration.ofSeconds(20),
            () -> {
              if (exit.isDone()) {
                throw new AssertionError("codec-server ended: " + exit.get() + "\n" + err + out);
              }
              return out.toString();
            },
            o -> o.contains("\"address\""));
    Running r = new Running(command, exit, err, JSON.readTree(printed).get("address").asText());
    started.add(r);
    return r;
  }

  static CommandLine.IFactory factory(CodecServerCommand command) {
    return new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        return cls == CodecServerCommand.class
            ? cls.cast(command)
            : CommandLine.defaultFactory().create(cls);
      }
    };
  }

  HttpResponse<String> post(String url, String body, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** As the temporal CLI sends it: endpoint http://HOST:PORT/{namespace}, X-Namespace, token. */
  HttpResponse<String> decode(Running server, String body, String token) throws Exception {
    return post(
        server.url() + "/default/decode",
        body,
        "X-Namespace",
        "default",
        "Authorization",
        "Bearer " + token);
  }

  static JsonNode history() throws Exception {
    return JSON.readTree(Files.readString(HISTORY));
  }

  /** The Cutover's input, {@code {"payloads":[...]}} as the history holds it: the plan. */
  static String startInput() throws Exception {
    return history()
        .path("events")
        .get(0)
        .path("workflowExecutionStartedEventAttributes")
        .path("input")
        .toString();
  }

  static String utf8(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }

  static void assertThePlan(HttpResponse<String> response) throws Exception {
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode payload = JSON.readTree(response.body()).path("payloads").get(0);
    assertEquals("json/plain", utf8(payload.path("metadata").path("encoding")));
    JsonNode plan = JSON.readTree(utf8(payload.path("data")));
    assertEquals("codec-demo", plan.path("name").asText());
    assertEquals(
        "jdbc:postgresql://pg-src.codec.test:5432/ledger",
        plan.path("source").path("url").asText());
    assertEquals("[\"carol\",\"dave\"]", plan.path("approvers").toString());
    assertEquals(
        "select count(*) from ledger_entries", plan.path("tests").get(0).path("sql").asText());
  }

  @Test
  void decodesARecordedEncryptedHistoryForTheCodecEndpointProtocol() throws Exception {
    String body = startInput();
    assertEquals(
        List.of(),
        ClearText.find(body, EncryptedCutoverTest.PLAN_TEXT),
        "the recorded plan is encrypted");
    Running server = start(oldKeyOnly(), "--tokens-file", tokens().toString());

    assertThePlan(decode(server, body, ALICE));

    // Every payload of the history in one request, as the UI decodes a whole event list.
    StringBuilder all = new StringBuilder("{\"payloads\":[");
    List<ClearText.PayloadAt> payloads = ClearText.payloads(Files.readString(HISTORY));
    for (ClearText.PayloadAt p : payloads) {
      all.append(p.json()).append(',');
    }
    all.setCharAt(all.length() - 1, ']');
    all.append('}');
    HttpResponse<String> decoded =
        post(server.url() + "/decode", all.toString(), "Authorization", "Bearer " + BOB);
    assertEquals(200, decoded.statusCode(), decoded.body());
    JsonNode back = JSON.readTree(decoded.body()).path("payloads");
    assertEquals(payloads.size(), back.size());
    List<String> encodings = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (JsonNode p : back) {
      encodings.add(utf8(p.path("metadata").path("encoding")));
      text.append(utf8(p.path("data")));
    }
    assertFalse(encodings.contains("binary/encrypted"), encodings.toString());
    assertTrue(text.toString().contains("\"by\":\"carol\""), "the approvals decode too");
    assertTrue(text.toString().contains("window CHG-4711"), "and their comments");
  }

  @Test
  void afterRotationTheOldHistoryDecodesAndEncodingUsesTheNewKey() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put(PayloadKeys.DIR_VARIABLE, EncryptedCutoverTest.KEYS.toString());
    env.put(PayloadKeys.CURRENT_VARIABLE, EncryptedCutoverTest.NEW_KEY);
    Running server = start(env, "--tokens-file", tokens().toString());

    assertThePlan(decode(server, startInput(), ALICE));

    String plain =
        "{\"payloads\":[{\"metadata\":{\"encoding\":\""
            + Base64.getEncoder().encodeToString("json/plain".getBytes(StandardCharsets.UTF_8))
            + "\"},\"data\":\""
            + Base64.getEncoder()
                .encodeToString(
                    "{\"gate\":\"switch\",\"by\":\"carol\"}".getBytes(StandardCharsets.UTF_8))
            + "\"}]}";
    HttpResponse<String> encoded =
        post(
            server.url() + "/default/encode",
            plain,
            "X-Namespace",
            "default",
            "Authorization",
            "Bearer " + ALICE);
    assertEquals(200, encoded.statusCode(), encoded.body());
    JsonNode metadata = JSON.readTree(encoded.body()).path("payloads").get(0).path("metadata");
    assertEquals("binary/encrypted", utf8(metadata.path("encoding")));
    assertEquals(EncryptedCutoverTest.NEW_KEY, utf8(metadata.path("encryption-key-id")));
    assertFalse(encoded.body().contains(Base64.getEncoder().encodeToString("carol".getBytes())));

    HttpResponse<String> back = decode(server, encoded.body(), ALICE);
    assertEquals(200, back.statusCode(), back.body());
    assertEquals(JSON.readTree(plain), JSON.readTree(back.body()));
  }

  @Test
  void onlyAuthorisedUsersDecode() throws Exception {
    Running server =
        start(oldKeyOnly(), "--tokens-file", tokens().toString(), "--namespace", "default");
    String body = startInput();

    HttpResponse<String> none = post(server.url() + "/default/decode", body);
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(
        none.headers().allValues("WWW-Authenticate").toString().contains("Bearer"),
        none.headers().map().toString());
    assertFalse(none.body().contains("codec-demo"));

    HttpResponse<String> wrong = decode(server, body, ALICE + "x");
    assertEquals(401, wrong.statusCode(), wrong.body());
    assertTrue(wrong.body().contains("not a token of an authorised user"), wrong.body());
    assertFalse(wrong.body().contains("codec-demo"));

    HttpResponse<String> otherNamespace =
        post(
            server.url() + "/prod/decode",
            body,
            "X-Namespace",
            "prod",
            "Authorization",
            "Bearer " + BOB);
    assertEquals(403, otherNamespace.statusCode(), otherNamespace.body());
    assertTrue(
        otherNamespace.body().contains("namespace 'prod' is not served here (serves: default)"),
        otherNamespace.body());

    // A browser that signed in once (user name and token) sends Basic credentials.
    String basic =
        Base64.getEncoder().encodeToString(("alice:" + ALICE).getBytes(StandardCharsets.UTF_8));
    assertThePlan(
        post(
            server.url() + "/default/decode",
            body,
            "X-Namespace",
            "default",
            "Authorization",
            "Basic " + basic));
    String bobWithAlicesToken =
        Base64.getEncoder().encodeToString(("bob:" + ALICE).getBytes(StandardCharsets.UTF_8));
    assertEquals(
        401,
        post(server.url() + "/decode", body, "Authorization", "Basic " + bobWithAlicesToken)
            .statusCode());
  }

  @Test
  void anUnknownKeyIdIsAClearError() throws Exception {
    Running server = start(newKeyOnly(), "--tokens-file", tokens().toString());

    HttpResponse<String> r = decode(server, startInput(), ALICE);

    assertEquals(400, r.statusCode(), r.body());
    String error = JSON.readTree(r.body()).path("error").asText();
    assertTrue(error.contains("key id '" + EncryptedCutoverTest.OLD_KEY + "'"), error);
    assertTrue(
        error.contains("this process has the keys [" + EncryptedCutoverTest.NEW_KEY + "]"), error);
  }

  @Test
  void theTemporalUiIsAllowedByOriginWithItsPreflight() throws Exception {
    Running server =
        start(oldKeyOnly(), "--tokens-file", tokens().toString(), "--allow-origin", UI);

    HttpResponse<String> preflight =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/default/decode"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", UI)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(204, preflight.statusCode(), preflight.body());
    assertEquals(UI, preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertEquals(
        "true", preflight.headers().firstValue("Access-Control-Allow-Credentials").orElse(""));
    String allowed =
        preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase();
    for (String h : List.of("authorization", "content-type", "x-namespace")) {
      assertTrue(allowed.contains(h), allowed);
    }
    assertTrue(
        preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"));

    HttpResponse<String> fromUi =
        post(
            server.url() + "/default/decode",
            startInput(),
            "Origin",
            UI,
            "X-Namespace",
            "default",
            "Authorization",
            "Bearer " + ALICE);
    assertThePlan(fromUi);
    assertEquals(UI, fromUi.headers().firstValue("Access-Control-Allow-Origin").orElse(""));

    HttpResponse<String> elsewhere =
        post(
            server.url() + "/default/decode",
            startInput(),
            "Origin",
            "https://evil.example",
            "Authorization",
            "Bearer " + ALICE);
    assertEquals(403, elsewhere.statusCode(), elsewhere.body());
    assertTrue(elsewhere.body().contains("--allow-origin https://evil.example"), elsewhere.body());
    assertFalse(elsewhere.headers().firstValue("Access-Control-Allow-Origin").isPresent());
  }

  @Test
  void pathsMethodsAndBodiesOutsideTheProtocolAreRefused() throws Exception {
    Running server = start(oldKeyOnly(), "--tokens-file", tokens().toString());

    assertEquals(
        404,
        post(server.url() + "/default/translate", "{}", "Authorization", "Bearer " + ALICE)
            .statusCode());
    HttpResponse<String> get =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/default/decode")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, get.statusCode());
    assertEquals("POST, OPTIONS", get.headers().firstValue("Allow").orElse(""));
    HttpResponse<String> garbage = decode(server, "{\"payloads\": [ {", ALICE);
    assertEquals(400, garbage.statusCode());
    assertTrue(garbage.body().contains("not a Payloads JSON object"), garbage.body());
  }

  @Test
  void servesHttpsWithAKeystore() throws Exception {
    Path keystore = dir.resolve("codec.p12");
    Path password = Files.writeString(dir.resolve("keystore-password"), "changeit-codec\n");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "codec",
                "-keyalg",
                "EC",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                "changeit-codec")
            .redirectErrorStream(true)
            .start();
    String keytoolOut = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, keytool.waitFor(), keytoolOut);

    Running server =
        start(
            oldKeyOnly(),
            "--tokens-file",
            tokens().toString(),
            "--tls-keystore",
            keystore.toString(),
            "--tls-keystore-password-file",
            password.toString());
    assertTrue(server.url().startsWith("https://127.0.0.1:"), server.url());

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(keystore)) {
      trusted.load(in, "changeit-codec".toCharArray());
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    HttpClient https = HttpClient.newBuilder().sslContext(tls).build();
    assertThePlan(
        https.send(
            HttpRequest.newBuilder(URI.create(server.url() + "/default/decode"))
                .header("Authorization", "Bearer " + ALICE)
                .POST(HttpRequest.BodyPublishers.ofString(startInput()))
                .build(),
            HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void aWrongConfigurationIsBadInputNamingTheFix() throws Exception {
    Path tokens = tokens();
    Cli.Result noTokens = Cli.run(factory(new CodecServerCommand(oldKeyOnly())), "codec-server");
    assertEquals(2, noTokens.exitCode(), noTokens.toString());
    assertTrue(noTokens.err().contains("--tokens-file"), noTokens.toString());

    Cli.Result noKeys =
        Cli.run(
            factory(new CodecServerCommand(Map.of())),
            "codec-server",
            "--tokens-file",
            tokens.toString());
    assertEquals(2, noKeys.exitCode(), noKeys.toString());
    assertTrue(
        noKeys.err().contains("codec-server needs the payload keys the worker uses"),
        noKeys.toString());
    assertTrue(noKeys.err().contains("SWITCHBACK_PAYLOAD_KEY_DIR"), noKeys.toString());

    Path weak = Files.writeString(dir.resolve("weak"), "carol:tiny-tk\n");
    Cli.Result shortToken =
        Cli.run(
            factory(new CodecServerCommand(oldKeyOnly())),
            "codec-server",
            "--tokens-file",
            weak.toString());
    assertEquals(2, shortToken.exitCode(), shortToken.toString());
    assertTrue(shortToken.err().contains(weak + " line 1"), shortToken.toString());
    assertTrue(shortToken.err().contains("at least 16 characters"), shortToken.toString());
    assertFalse(shortToken.err().contains("tiny-tk"), "the token is not shown: " + shortToken);

    Cli.Result exposed =
        Cli.run(
            factory(new CodecServerCommand(oldKeyOnly())),
            "codec-server",
            "--tokens-file",
            tokens.toString(),
            "--host",
            "0.0.0.0");
    assertEquals(2, exposed.exitCode(), exposed.toString());
    assertTrue(exposed.err().contains("--tls-keystore"), exposed.toString());

    Cli.Result badOrigin =
        Cli.run(
            factory(new CodecServerCommand(oldKeyOnly())),
            "codec-server",
            "--tokens-file",
            tokens.toString(),
            "--allow-origin",
            "http://localhost:8080/");
    assertEquals(2, badOrigin.exitCode(), badOrigin.toString());
    assertTrue(badOrigin.err().contains("http://localhost:8080/"), badOrigin.toString());
  }
}
