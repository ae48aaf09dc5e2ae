package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.postgres.PostgresEngine;
import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.router.ManualRouter;
import dev.switchback.activities.router.WebhookRouter;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.SecretScope;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's exfiltration probes against the preflight: a plan naming a secret outside the worker's
 * scope, or sending a bound one elsewhere, is refused before anything is contacted. The "server the
 * plan author owns" is a socket here that counts who connects to it.
 */
@Timeout(60)
class PreflightSecretScopeTest {
  private static final String OTHER = "other-db-password-4711";
  private static final String SOURCE = "source-pw-0815";
  private static final String TOKEN = "token-line-one\ntoken-line-two";
  private static final Map<String, String> ENV =
      Map.of(
          "OTHER_DB_PASSWORD", OTHER,
          "SWITCHBACK_SECRET_SOURCE", SOURCE,
          "SWITCHBACK_SECRET_TOKEN", TOKEN);

  @TempDir Path tmp;
  private ServerSocket attacker;
  private final AtomicInteger connected = new AtomicInteger();
  private Thread acceptor;

  @BeforeEach
  void listen() throws IOException {
    attacker = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor =
        new Thread(
            () -> {
              while (!attacker.isClosed()) {
                try {
                  // Closed at once: the driver fails fast instead of waiting for an answer.
                  attacker.accept().close();
                  connected.incrementAndGet();
                } catch (IOException closed) {
                  return;
                }
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterEach
  void close() throws Exception {
    attacker.close();
    acceptor.join(5_000);
  }

  private PreflightReport preflight(CutoverPlan plan, Map<String, Set<String>> bindings)
      throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("secrets"));
    Secrets secrets =
        new Secrets(ENV, SecretScope.of("SWITCHBACK_SECRET_", List.of(dir), bindings));
    Registry registry =
        new Registry()
            .engine(new PostgresEngine())
            .provider(new PostgresProvider())
            .router(new ManualRouter())
            .router(new WebhookRouter(secrets));
    try (Connections connections = new Connections(secrets)) {
      return new DatabaseActivitiesImpl(registry, connections).preflight("cutover-probe", plan);
    }
  }

  @Test
  void aPasswordOutsideThePrefixIsRefusedBeforeTheServerIsContacted() throws Exception {
    PreflightReport r = preflight(plan("env:OTHER_DB_PASSWORD", RouterSpec.manual()), Map.of());

    assertRefused(r, "source.password");
  }

  @Test
  void aTokenFromProcSelfEnvironIsRefusedBeforeTheServerIsContacted() throws Exception {
    RouterSpec router =
        new RouterSpec("webhook", url("http"), "file:/proc/self/environ", "5s", null);

    PreflightReport r = preflight(plan("env:SWITCHBACK_SECRET_SOURCE", router), Map.of());

    assertRefused(r, "router.token");
  }

  @Test
  void aBoundSecretSentToAnotherHostIsRefusedBeforeTheServerIsContacted() throws Exception {
    PreflightReport r =
        preflight(
            plan("env:SWITCHBACK_SECRET_SOURCE", RouterSpec.manual()),
            Map.of("env:SWITCHBACK_SECRET_SOURCE", Set.of("pg-source.internal:5432")));

    assertRefused(r, "source.password");
    assertTrue(r.checks().get(0).detail().contains("127.0.0.1:" + attacker.getLocalPort()), "" + r);
  }

  @Test
  void aTokenWithALineBreakIsRefusedBeforeTheHeaderIsBuilt() throws Exception {
    RouterSpec router =
        new RouterSpec("webhook", url("http"), "env:SWITCHBACK_SECRET_TOKEN", "5s", null);

    PreflightReport r = preflight(plan("env:SWITCHBACK_SECRET_SOURCE", router), Map.of());

    assertRefused(r, "router.token");
  }

  @Test
  void aPlanWithinTheScopeIsCheckedAndItsSecretsRedacted() throws Exception {
    // The control: the same socket sees the preflight of an in-scope plan, so the probes above
    // would have seen theirs.
    PreflightReport r =
        preflight(
            plan("env:SWITCHBACK_SECRET_SOURCE", RouterSpec.manual()),
            Map.of("env:SWITCHBACK_SECRET_SOURCE", Set.of("127.0.0.1:" + attacker.getLocalPort())));

    assertFalse(r.ok(), "nothing answers on the socket");
    assertEquals(DatabaseActivitiesImpl.SECRET_SCOPE, r.checks().get(0).check());
    assertTrue(r.checks().get(0).ok(), "" + r);
    Await.until(
        "the preflight to reach the socket", Duration.ofSeconds(10), connected::get, n -> n > 0);
    assertNoSecretIn(r);
  }

  private void assertRefused(PreflightReport r, String field) {
    assertFalse(r.ok());
    assertEquals(1, r.checks().size(), "nothing else ran: " + r);
    assertEquals(DatabaseActivitiesImpl.SECRET_SCOPE, r.checks().get(0).check());
    assertTrue(r.checks().get(0).detail().startsWith(field + ":"), "" + r);
    assertEquals(0, connected.get(), "the server the plan points at was contacted");
    assertNoSecretIn(r);
  }

  private static void assertNoSecretIn(PreflightReport r) {
    String all = r.toString();
    for (String value : List.of(OTHER, SOURCE, "token-line-one", "token-line-two")) {
      assertFalse(all.contains(value), value + " appears in " + all);
    }
    assertFalse(all.contains("PATH="), "the worker's environment appears in " + all);
  }

  private String url(String scheme) {
    return scheme + "://127.0.0.1:" + attacker.getLocalPort() + "/sb";
  }

  private CutoverPlan plan(String password, RouterSpec router) {
    String jdbc = "jdbc:postgresql://127.0.0.1:" + attacker.getLocalPort();
    return new CutoverPlan(
            "probe",
            new MigrationSpec("postgres", "sub_probe", null, Map.of()),
            new EndpointSpec("postgres", jdbc + "/app", "admin", password, null, null),
            new EndpointSpec("postgres", jdbc + "/app2", "admin", null, null, null),
            new MigrationAccountSpec("migrator", null, true),
            router,
            null,
            null,
            List.of(),
            null,
            null,
            null,
            "1m")
        .withDefaults();
  }
}
