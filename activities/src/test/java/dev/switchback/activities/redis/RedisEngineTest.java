package dev.switchback.activities.redis;

import static dev.switchback.activities.redis.RedisLab.SOURCE_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;

/** RedisEngine against the lab's Redis servers (deploy/lab/redis.sh). */
class RedisEngineTest {
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final List<String> aclUsers = new ArrayList<>();
  private String prefix;

  @BeforeEach
  void labRunning() {
    RedisLab.requireRunning();
    prefix = RedisLab.prefix("engine");
    RedisLab.reset(null);
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    try (Jedis j = RedisLab.client(SOURCE_PORT, "cleanup")) {
      j.clientUnpause();
      for (String u : aclUsers) {
        j.aclDelUser(u);
      }
    }
    RedisLab.reset(prefix);
  }

  private RedisEngine engine() {
    RedisEngine e = new RedisEngine();
    toClose.add(e);
    return e;
  }

  private Jedis app(String name) {
    Jedis j = RedisLab.client(SOURCE_PORT, name);
    toClose.add(j);
    return j;
  }

  private static EngineContext source(Map<String, String> options) {
    return RedisLab.engineContext(RedisLab.plan(options), Side.SOURCE);
  }

  private static CompletableFuture<String> setAsync(Jedis client, String key, String value) {
    return CompletableFuture.supplyAsync(() -> client.set(key, value));
  }

  private static String get(String key) {
    try (Jedis j = RedisLab.client(SOURCE_PORT, "reader")) {
      return j.get(key);
    }
  }

  /**
   * A window the test is about (the fence holds longer than its period, a writer goes idle): its
   * length is the claim, and a loaded machine only makes it longer.
   */
  private static void sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
  }

  /** The write of {@code client} is sent, and the server holds it: what the fence is for. */
  private CompletableFuture<String> heldSet(Jedis client, String key, String value) {
    long id = client.clientId();
    CompletableFuture<String> write = setAsync(client, key, value);
    RedisLab.await(
        "the server to hold the SET of client " + id,
        Duration.ofSeconds(10),
        () -> {
          try (Jedis admin = RedisLab.client(SOURCE_PORT, "observer")) {
            return ClientEntry.parse(admin.clientList()).stream()
                .anyMatch(
                    c -> c.id().equals(String.valueOf(id)) && c.blocked() && "set".equals(c.cmd()));
          }
        });
    return write;
  }

  // ---------------------------------------------------------------- fence

  @Test
  void fenceHoldsApplicationWritesForLongerThanOnePeriodAndReleasesThemWhenLifted()
      throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "2s", "heldWrites", "release"));

    FenceResult fenced = engine.fenceWrites(ctx);
    assertTrue(fenced.method().contains("CLIENT PAUSE 2000 WRITE"), fenced.method());

    String key = prefix + "held";
    CompletableFuture<String> write = heldSet(app("writer"), key, "v");
    // Two and a half pause periods: only the renewer keeps the pause in force this long.
    sleep(5_000);
    assertFalse(write.isDone(), "the application's SET must wait while the fence holds");
    assertNull(get(key), "the write must not land while fenced (and reads must go on)");
    assertTrue(engine.fenceHeld(ctx), "the pause must still be in force after 2.5 periods");

    FenceResult lifted = engine.unfenceWrites(ctx);
    assertEquals(0, lifted.terminatedSessions());
    assertEquals("OK", write.get(5, TimeUnit.SECONDS));
    assertEquals("v", get(key), "a held write lands after the fence with heldWrites: release");
    assertFalse(engine.fenceHeld(ctx));
  }

  @Test
  void writesHeldByTheFenceAreRefusedWhenItIsLiftedByDefault() throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "2s"));
    engine.fenceWrites(ctx);

    String key = prefix + "refused";
    CompletableFuture<String> write = heldSet(app("writer"), key, "v");

    FenceResult lifted = engine.unfenceWrites(ctx);
    assertEquals(1, lifted.terminatedSessions(), lifted.detail());
    ExecutionException failed =
        assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS));
    assertTrue(failed.getCause() instanceof JedisConnectionException, failed.toString());
    assertNull(get(key), "a write held by the fence must not land after it");
    assertEquals("OK", app("after").set(key, "later"), "writes after the fence go through");
  }

  @Test
  void fenceClosesTheApplicationsOpenMultiButNotTheMigrationAccounts() throws Exception {
    createUser(RedisLab.MIGRATION_ACCOUNT, "migpw", "+@all");
    Jedis migration =
        RedisLab.clientAs(SOURCE_PORT, "migration", RedisLab.MIGRATION_ACCOUNT, "migpw");
    toClose.add(migration);
    assertEquals("OK", reply(migration.sendCommand(Protocol.Command.MULTI)));
    migration.sendCommand(Protocol.Command.SET, prefix + "by-migration", "m");
    Jedis inMulti = app("multi");
    assertEquals("OK", reply(inMulti.sendCommand(Protocol.Command.MULTI)));
    inMulti.sendCommand(Protocol.Command.SET, prefix + "by-app", "a");

    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "2s"));
    FenceResult fenced = engine.fenceWrites(ctx);
    assertEquals(1, fenced.terminatedSessions(), fenced.detail());
    assertTrue(fenced.detail().contains("in MULTI"), fenced.detail());
    assertThrows(JedisConnectionException.class, () -> inMulti.sendCommand(Protocol.Command.EXEC));
    assertTrue(
        engine.listSessions(ctx).writers().isEmpty(), "the application's transaction is gone");

    engine.unfenceWrites(ctx);
    migration.sendCommand(Protocol.Command.EXEC);
    assertEquals("m", get(prefix + "by-migration"), "the migration account's MULTI was kept");
    assertNull(get(prefix + "by-app"), "the application's queued write was discarded");
  }

  @Test
  void aCrashedRenewerLetsThePauseExpireWithinOnePeriod() throws Exception {
    RedisEngine crashed = new RedisEngine();
    EngineContext ctx = source(Map.of("fencePeriod", "2s", "heldWrites", "release"));
    crashed.fenceWrites(ctx);
    String key = prefix + "expires";
    CompletableFuture<String> write = heldSet(app("writer"), key, "v");

    crashed.close(); // stops renewing without lifting the pause, as a dying worker does
    // Nothing can renew the pause any more: the renewer's connection is gone from the server.
    // What ends the pause is then Redis's own CLIENT PAUSE 2000 expiry, not a clock read here.
    RedisLab.await(
        "the renewer's connection to close on the server",
        Duration.ofSeconds(5),
        () -> {
          try (Jedis admin = RedisLab.client(SOURCE_PORT, "observer")) {
            return ClientEntry.parse(admin.clientList()).stream()
                .noneMatch(c -> c.name().equals(RedisEndpoint.OWN_NAME + "-fence"));
          }
        });
    assertEquals("OK", write.get(10, TimeUnit.SECONDS), "the held write runs when the pause ends");
    assertEquals("v", get(key));
    assertFalse(engine().fenceHeld(ctx));
  }

  @Test
  void aNewWorkerTakesTheFenceOverAndACallOnTheSameWorkerRenewsIt() throws Exception {
    EngineContext ctx = source(Map.of("fencePeriod", "2s"));
    RedisEngine first = new RedisEngine();
    assertTrue(first.fenceWrites(ctx).detail().contains("established"));
    assertTrue(first.fenceWrites(ctx).detail().contains("already held by this worker"));
    first.close();

    RedisEngine second = engine();
    FenceResult takeover = second.fenceWrites(ctx);
    assertTrue(takeover.detail().contains("taken over"), takeover.detail());

    String key = prefix + "takeover";
    CompletableFuture<String> write = heldSet(app("writer"), key, "v");
    sleep(4_500); // well past the first worker's last pause
    assertFalse(write.isDone(), "the new worker must keep the fence");
    assertTrue(second.fenceHeld(ctx));
    assertEquals(1, second.unfenceWrites(ctx).terminatedSessions());
    assertNull(get(key));
  }

  @Test
  void aFailedRenewalIsReportedOnceByTheNextCallAndTheFenceComesBack() throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "3s"));
    engine.fenceWrites(ctx);
    killFenceConnection();
    RedisLab.await(
        "the renewer to notice its broken connection",
        Duration.ofSeconds(5),
        () -> engine.fenceHealth().stream().anyMatch(h -> h.contains("LAPSED")));

    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> engine.listSessions(ctx));
    assertEquals(RedisEngine.FENCE_LAPSED, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("renewing CLIENT PAUSE failed"), f.getMessage());
    // Reported once: the next call proceeds, and the renewer has put the fence back.
    engine.listSessions(ctx);
    assertTrue(engine.fenceHeld(ctx));
    engine.unfenceWrites(ctx);
    assertFalse(engine.fenceHeld(ctx));
  }

  @Test
  void unfenceLiftsALapsedFenceAndThenReportsTheLapse() throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "3s"));
    engine.fenceWrites(ctx);
    killFenceConnection();
    RedisLab.await(
        "the renewer to notice its broken connection",
        Duration.ofSeconds(5),
        () -> engine.fenceHealth().stream().anyMatch(h -> h.contains("LAPSED")));

    ApplicationFailure f = assertThrows(ApplicationFailure.class, () -> engine.unfenceWrites(ctx));
    assertEquals(RedisEngine.FENCE_LAPSED, f.getType());
    assertFalse(engine.fenceHeld(ctx), "the fence is lifted even though the lapse is reported");
    assertFalse(engine.unfenceWrites(ctx).detail().isEmpty(), "a repeated unfence succeeds");
    assertTrue(engine.fenceHealth().isEmpty());
  }

  private static void killFenceConnection() {
    try (Jedis admin = RedisLab.client(SOURCE_PORT, "killer")) {
      int killed = 0;
      for (ClientEntry c : ClientEntry.parse(admin.clientList())) {
        if (c.name().equals(RedisEndpoint.OWN_NAME + "-fence")) {
          admin.clientKill(new redis.clients.jedis.params.ClientKillParams().id(c.id()));
          killed++;
        }
      }
      assertEquals(1, killed, "the renewer's connection");
    }
  }

  // ---------------------------------------------------------------- sessions

  @Test
  void sessionsShowAClientInMultiAndAJustWrittenOneAsWritersButNotAnIdleReader() throws Exception {
    RedisLab.attachForward(); // a replica on the source: replication is excluded
    createUser(RedisLab.MIGRATION_ACCOUNT, "migpw", "+@all");
    Jedis migration =
        RedisLab.clientAs(SOURCE_PORT, "migration", RedisLab.MIGRATION_ACCOUNT, "migpw");
    toClose.add(migration);
    migration.set(prefix + "by-migration", "x");

    Jedis inMulti = app("multi");
    long multiId = inMulti.clientId();
    assertEquals("OK", reply(inMulti.sendCommand(Protocol.Command.MULTI)));
    assertEquals("QUEUED", reply(inMulti.sendCommand(Protocol.Command.SET, prefix + "m", "1")));

    Jedis writer = app("writer");
    long writerId = writer.clientId();
    writer.set(prefix + "w", "1");

    Jedis reader = app("reader");
    long readerId = reader.clientId();
    reader.get(prefix + "w");

    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of());
    Sessions s = engine.listSessions(ctx);
    assertEquals(
        List.of(String.valueOf(multiId), String.valueOf(writerId)).stream().sorted().toList(),
        s.writers().stream().map(SessionInfo::id).sorted().toList(),
        s.toString());
    assertTrue(s.others().stream().anyMatch(o -> o.id().equals(String.valueOf(readerId))));
    assertTrue(s.excluded() >= 3, "own connection, the replica and the migration account: " + s);
    SessionInfo multi = byId(s.writers(), multiId);
    assertTrue(multi.detail().contains("in MULTI with 1 command"), multi.detail());

    sleep(3_000); // the writer is idle now; the transaction is still open
    Sessions later = engine.listSessions(ctx);
    assertEquals(
        List.of(String.valueOf(multiId)),
        later.writers().stream().map(SessionInfo::id).toList(),
        later.toString());
    assertTrue(later.others().stream().anyMatch(o -> o.id().equals(String.valueOf(writerId))));
  }

  @Test
  void aWriteHeldByTheFenceCountsAsAWriterSession() throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("fencePeriod", "2s"));
    engine.fenceWrites(ctx);
    Jedis writer = app("held");
    long id = writer.clientId();
    CompletableFuture<String> write = heldSet(writer, prefix + "held", "v");
    sleep(2_500); // idle past the recent-write window: only the held command makes it a writer
    Sessions s = engine.listSessions(ctx);
    SessionInfo held = byId(s.writers(), id);
    assertTrue(held.detail().contains("waiting on set"), held.detail());
    engine.unfenceWrites(ctx);
    assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS));
  }

  @Test
  void underItsOwnFenceAWriteThatRanBeforeTheFenceMakesNoWriterButAHeldOneDoes() throws Exception {
    Jedis writer = app("wrote-before");
    long id = writer.clientId();
    writer.set(prefix + "before", "1");
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of());
    engine.fenceWrites(ctx);
    Sessions s = engine.listSessions(ctx);
    assertTrue(s.writers().isEmpty(), "its write ran before the fence: " + s);
    assertTrue(s.others().stream().anyMatch(o -> o.id().equals(String.valueOf(id))), s.toString());

    CompletableFuture<String> write = heldSet(writer, prefix + "after", "2");
    Sessions held = engine.listSessions(ctx);
    assertTrue(byId(held.writers(), id).detail().contains("waiting on set"), held.toString());
    engine.unfenceWrites(ctx);
    assertThrows(ExecutionException.class, () -> write.get(5, TimeUnit.SECONDS));
    assertNull(get(prefix + "after"), "the held write was refused");
  }

  @Test
  void writesFromClientsThatLeftDuringTheWindowAreCountedByTheCommandCounters() throws Exception {
    RedisEngine engine = engine();
    EngineContext ctx = source(Map.of("sessionWindow", "2s"));

    Sessions quiet = engine.listSessions(ctx);
    assertTrue(quiet.writers().isEmpty(), "no writes, no writer: " + quiet);

    CompletableFuture<Sessions> listing =
        CompletableFuture.supplyAsync(() -> engine.listSessions(ctx));
    // The listing has counted the writes before its window (its last command before the window
    // is INFO): the write below falls inside the window, whenever this thread runs.
    RedisLab.await(
        "the session listing to start its window",
        Duration.ofSeconds(10),
        () -> {
          try (Jedis admin = RedisLab.client(SOURCE_PORT, "observer")) {
            return ClientEntry.parse(admin.clientList()).stream()
                .anyMatch(
                    c ->
                        c.name().equals(RedisEndpoint.OWN_NAME + "-sessions")
                            && "info".equals(c.cmd()));
          }
        });
    try (Jedis transient_ = RedisLab.client(SOURCE_PORT, "per-request")) {
      transient_.set(prefix + "gone", "1");
    }
    Sessions s = listing.get(10, TimeUnit.SECONDS);
    assertEquals(1, s.writers().size(), s.toString());
    assertEquals("?", s.writers().get(0).id());
    assertTrue(s.writers().get(0).detail().contains("no longer connected"));
  }

  private static String reply(Object raw) {
    return raw instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(raw);
  }

  private static SessionInfo byId(List<SessionInfo> sessions, long id) {
    return sessions.stream()
        .filter(x -> x.id().equals(String.valueOf(id)))
        .findFirst()
        .orElseGet(() -> fail("session " + id + " not among " + sessions));
  }

  // ---------------------------------------------------------------- preflight, input (revoke:
  // RedisRevokeTest)

  @Test
  void preflightPassesForAnAdminAndNamesTheCommandAWeakerAccountLacks() {
    List<PreflightCheck> ok = engine().preflight(source(Map.of()));
    assertTrue(ok.stream().allMatch(PreflightCheck::ok), ok.toString());

    String weak = "sb_weak_" + Long.toHexString(System.nanoTime());
    createUser(weak, "weakpw", "+@all -client|pause");
    CutoverPlan base = RedisLab.plan(Map.of());
    EndpointSpec s = base.source();
    CutoverPlan plan =
        withSource(
            base,
            new EndpointSpec(
                s.engine(), s.url(), weak, "env:WEAK_PW", s.applicationAccounts(), s.options()));
    EngineContext ctx =
        new EngineContext(
            "cutover-redis-lab",
            plan,
            Side.SOURCE,
            new Connections(new Secrets(Map.of("WEAK_PW", "weakpw"))));
    List<PreflightCheck> checks = engine().preflight(ctx);
    PreflightCheck privileges =
        checks.stream().filter(c -> c.check().contains("privileges")).findFirst().orElseThrow();
    assertFalse(privileges.ok(), checks.toString());
    assertTrue(privileges.detail().contains("CLIENT PAUSE"), privileges.detail());
  }

  @Test
  void badInputFailsNamingTheFieldBeforeAnythingIsPaused() {
    RedisEngine engine = engine();
    CutoverPlan base = RedisLab.plan(Map.of());
    EndpointSpec s = base.source();
    CutoverPlan httpUrl =
        withSource(
            base,
            new EndpointSpec(
                s.engine(),
                "http://127.0.0.1:" + SOURCE_PORT,
                null,
                null,
                s.applicationAccounts(),
                s.options()));
    ApplicationFailure url =
        assertThrows(
            ApplicationFailure.class,
            () -> engine.fenceWrites(RedisLab.engineContext(httpUrl, Side.SOURCE)));
    assertEquals(FailureTypes.INVALID_PLAN, url.getType());
    assertTrue(url.getOriginalMessage().startsWith("source.url"), url.getOriginalMessage());

    ApplicationFailure period =
        assertThrows(
            ApplicationFailure.class,
            () -> engine.fenceWrites(source(Map.of("fencePeriod", "ten seconds"))));
    assertTrue(
        period.getOriginalMessage().startsWith("source.options.fencePeriod"),
        period.getOriginalMessage());

    ApplicationFailure held =
        assertThrows(
            ApplicationFailure.class,
            () -> engine.fenceWrites(source(Map.of("heldWrites", "drop"))));
    assertTrue(held.getOriginalMessage().startsWith("source.options.heldWrites"));
    assertFalse(engine.fenceHeld(source(Map.of())), "nothing was paused");
  }

  private static CutoverPlan withSource(CutoverPlan p, EndpointSpec source) {
    return new CutoverPlan(
        p.name(),
        p.migration(),
        source,
        p.destination(),
        p.migrationAccount(),
        p.router(),
        p.thresholds(),
        p.gates(),
        p.approvers(),
        p.approvals(),
        p.tests(),
        p.validation(),
        p.soak());
  }

  private void createUser(String user, String password, String commands) {
    try (Jedis j = RedisLab.client(SOURCE_PORT, "acl")) {
      j.aclDelUser(user);
      j.aclSetUser(user, "on", ">" + password, "~*", "&*", commands.split(" ")[0]);
      for (String rule : commands.split(" ")) {
        j.aclSetUser(user, rule);
      }
    }
    aclUsers.add(user);
  }
}
