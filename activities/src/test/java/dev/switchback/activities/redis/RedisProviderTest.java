package dev.switchback.activities.redis;

import static dev.switchback.activities.redis.RedisLab.DESTINATION_PORT;
import static dev.switchback.activities.redis.RedisLab.SOURCE_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.exceptions.JedisDataException;

/** RedisProvider (REPLICAOF as the migration instance) against the lab's two Redis servers. */
class RedisProviderTest {
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private String prefix;
  private CutoverPlan plan;
  private MigrationContext ctx;
  private RedisProvider provider;

  @BeforeEach
  void forwardInstance() {
    RedisLab.requireRunning();
    prefix = RedisLab.prefix("provider");
    RedisLab.reset(null);
    plan = RedisLab.plan(Map.of("fencePeriod", "2s"));
    ctx = RedisLab.migrationContext(plan);
    provider = new RedisProvider();
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    RedisLab.reset(prefix);
  }

  private Jedis client(int port, String name) {
    Jedis j = RedisLab.client(port, name);
    toClose.add(j);
    return j;
  }

  private RedisEngine engine() {
    RedisEngine e = new RedisEngine();
    toClose.add(e);
    return e;
  }

  @Test
  void forwardInstanceRunsWithItsLagInBytesAndNoReverseInstanceExistsYet() {
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.FORWARD).status());
    RedisLab.attachForward();
    Jedis source = client(SOURCE_PORT, "writer");
    source.set(prefix + "a", "1");
    RedisLab.await(
        "the destination to catch up",
        Duration.ofSeconds(5),
        () -> {
          InstanceState s = provider.describe(ctx, Direction.FORWARD);
          return s.running() && Long.valueOf(0).equals(s.lagBytes());
        });
    InstanceState forward = provider.describe(ctx, Direction.FORWARD);
    assertEquals("redis-forward", forward.instance());
    assertTrue(forward.incremental());
    assertEquals(0L, forward.latencyMs());
    assertEquals(provider.writerPosition(ctx, Direction.FORWARD), forward.position());
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.REVERSE).status());
    assertTrue(provider.preflight(ctx).stream().allMatch(PreflightCheck::ok));
  }

  @Test
  void preflightFailsWhenTheDestinationDoesNotReplicateFromTheSource() {
    List<PreflightCheck> checks = provider.preflight(ctx);
    PreflightCheck forward =
        checks.stream().filter(c -> c.check().equals("forward instance")).findFirst().orElseThrow();
    assertFalse(forward.ok());
    assertTrue(forward.detail().contains("REPLICAOF 127.0.0.1 6380"), forward.detail());
  }

  /**
   * The acceptance path: writers run, the fence stops them, the offset after the fence is reached
   * by the destination (replicas are never paused), the pause detaches it, and every acknowledged
   * write is on the destination.
   */
  @Test
  void exactDrainAfterTheFenceUnderConcurrentWritesLosesNoAcknowledgedWrite() throws Exception {
    RedisLab.attachForward();
    Queue<String> acknowledged = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<CompletableFuture<Void>> writers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      Jedis w = client(SOURCE_PORT, "load-" + t);
      String p = prefix + "t" + t + ":";
      writers.add(
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; !stop.get(); i++) {
                  w.set(p + i, "v" + i);
                  acknowledged.add(p + i);
                }
              }));
    }
    // The fence must meet writes in flow, however loaded the machine: wait for them.
    RedisLab.await("writes flowing", Duration.ofSeconds(10), () -> acknowledged.size() >= 200);

    RedisEngine engine = engine();
    RedisProvider provider = new RedisProvider(engine);
    EngineContext sourceSide = RedisLab.engineContext(plan, Side.SOURCE);
    engine.fenceWrites(sourceSide);
    String target = provider.writerPosition(ctx, Direction.FORWARD);
    String shown = provider.describe(ctx, Direction.FORWARD).detail();
    assertTrue(shown.contains("CLIENT PAUSE WRITE held since"), shown);
    int acknowledgedAtFence = acknowledged.size();

    long offset = Long.parseLong(target.substring(target.indexOf(':') + 1));
    String unreached = target.substring(0, target.indexOf(':') + 1) + (offset + 1_000_000);
    assertFalse(provider.drained(ctx, Direction.FORWARD, unreached), "a position not reached");
    RedisLab.await(
        "the drain to " + target,
        Duration.ofSeconds(10),
        () -> provider.drained(ctx, Direction.FORWARD, target));
    Thread.sleep(2_500); // past one fence period: still fenced, nothing more acknowledged
    assertEquals(acknowledgedAtFence, acknowledged.size(), "no write acknowledged under the fence");

    provider.pause(ctx, Direction.FORWARD);
    InstanceState paused = provider.describe(ctx, Direction.FORWARD);
    assertEquals("PAUSED", paused.status(), paused.detail());
    assertTrue(provider.drained(ctx, Direction.FORWARD, target), "still proved after the pause");
    assertFalse(provider.drained(ctx, Direction.FORWARD, unreached));

    stop.set(true);
    engine.unfenceWrites(sourceSide); // held writes are refused, their writers end
    for (CompletableFuture<Void> w : writers) {
      assertThrows(ExecutionException.class, () -> w.get(5, TimeUnit.SECONDS));
    }
    assertTrue(acknowledged.size() > 100, "the load wrote " + acknowledged.size() + " keys");
    Jedis destination = client(DESTINATION_PORT, "check");
    List<String> missing = new ArrayList<>();
    for (String key : acknowledged) {
      if (destination.get(key) == null) {
        missing.add(key);
      }
    }
    assertEquals(List.of(), missing, "acknowledged writes missing on the destination");
  }

  @Test
  void pausePromotesTheDestinationAndIsIdempotent() {
    RedisLab.attachForward();
    Jedis destination = client(DESTINATION_PORT, "app");
    assertThrows(JedisDataException.class, () -> destination.set(prefix + "early", "1"));

    provider.pause(ctx, Direction.FORWARD);
    provider.pause(ctx, Direction.FORWARD);
    assertEquals("master", RedisLab.info(DESTINATION_PORT, "replication").get("role"));
    assertEquals("OK", destination.set(prefix + "switched", "1"), "writable after the pause");
    assertEquals("PAUSED", provider.describe(ctx, Direction.FORWARD).status());
    provider.terminate(ctx, Direction.FORWARD); // nothing left to detach
    assertEquals("PAUSED", provider.describe(ctx, Direction.FORWARD).status());
  }

  @Test
  void reverseContinuesPartiallyAndCarriesDestinationWritesBackToTheSource() {
    RedisLab.attachForward();
    Jedis source = client(SOURCE_PORT, "app-source");
    source.set(prefix + "before", "1");
    RedisLab.await(
        "the forward drain",
        Duration.ofSeconds(5),
        () ->
            provider.drained(
                ctx, Direction.FORWARD, provider.writerPosition(ctx, Direction.FORWARD)));
    provider.pause(ctx, Direction.FORWARD);
    Jedis destination = client(DESTINATION_PORT, "app-destination");
    destination.set(prefix + "after-switch-1", "1");

    RedisInfo statsBefore = RedisLab.info(DESTINATION_PORT, "stats");
    provider.createReverseIncremental(ctx);
    provider.createReverseIncremental(ctx); // a retry finds the instance it made
    RedisLab.await(
        "the reverse instance to run",
        Duration.ofSeconds(10),
        () -> provider.describe(ctx, Direction.REVERSE).running());
    RedisInfo statsAfter = RedisLab.info(DESTINATION_PORT, "stats");
    // Incremental only: the promoted destination kept the source's replication id as its second
    // id, so the old source continued where it stopped instead of reloading everything.
    assertEquals(
        statsBefore.number("sync_partial_ok", -1) + 1, statsAfter.number("sync_partial_ok", -2));
    assertEquals(statsBefore.number("sync_full", -1), statsAfter.number("sync_full", -2));

    destination.set(prefix + "after-switch-2", "2");
    String target = provider.writerPosition(ctx, Direction.REVERSE);
    RedisLab.await(
        "the reverse drain",
        Duration.ofSeconds(5),
        () -> provider.drained(ctx, Direction.REVERSE, target));
    assertEquals("1", source.get(prefix + "after-switch-1"));
    assertEquals("2", source.get(prefix + "after-switch-2"));
    assertEquals("1", source.get(prefix + "before"));
    JedisDataException readOnly =
        assertThrows(JedisDataException.class, () -> source.set(prefix + "stray", "x"));
    assertTrue(readOnly.getMessage().startsWith("READONLY"), readOnly.getMessage());
    assertEquals("PAUSED", provider.describe(ctx, Direction.FORWARD).status());
  }

  @Test
  void rollbackEndsThePausedForwardInstanceAndLeavesNoReplicationBetweenTheServers() {
    // Issue 10, finding 12: after a rollback the workflow ends the paused forward instance.
    RedisLab.attachForward();
    provider.pause(ctx, Direction.FORWARD);
    provider.createReverseIncremental(ctx);
    RedisLab.await(
        "the reverse instance to run",
        Duration.ofSeconds(10),
        () -> provider.describe(ctx, Direction.REVERSE).running());
    provider.terminate(ctx, Direction.REVERSE);

    provider.terminate(ctx, Direction.FORWARD);
    provider.terminate(ctx, Direction.FORWARD);

    for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
      RedisInfo replication = RedisLab.info(port, "replication");
      assertEquals("master", replication.get("role"), "port " + port);
      assertEquals("0", replication.get("connected_slaves"), "a replica still attached to " + port);
    }
    InstanceState forward = provider.describe(ctx, Direction.FORWARD);
    assertFalse(forward.running(), forward.toString());
  }

  @Test
  void terminateDetachesTheReverseInstanceAndIsIdempotent() {
    RedisLab.attachForward();
    provider.pause(ctx, Direction.FORWARD);
    provider.createReverseIncremental(ctx);
    RedisLab.await(
        "the reverse instance to run",
        Duration.ofSeconds(10),
        () -> provider.describe(ctx, Direction.REVERSE).running());

    provider.terminate(ctx, Direction.REVERSE);
    provider.terminate(ctx, Direction.REVERSE);
    assertEquals("master", RedisLab.info(SOURCE_PORT, "replication").get("role"));
    InstanceState reverse = provider.describe(ctx, Direction.REVERSE);
    assertFalse(reverse.running(), reverse.toString());
    Jedis destination = client(DESTINATION_PORT, "app");
    destination.set(prefix + "after-terminate", "1");
    Jedis source = client(SOURCE_PORT, "app");
    assertEquals("OK", source.set(prefix + "source-writable", "1"));
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertNull(source.get(prefix + "after-terminate"), "nothing streams after terminate");
    provider.terminate(ctx, Direction.FORWARD);
  }

  @Test
  void theReverseInstanceIsRefusedWhileTheForwardInstanceStillRuns() {
    RedisLab.attachForward();
    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> provider.createReverseIncremental(ctx));
    assertEquals(FailureTypes.INSTANCE_STATE, f.getType());
    assertTrue(f.getOriginalMessage().contains("pause the forward instance"), f.getMessage());
    assertEquals("master", RedisLab.info(SOURCE_PORT, "replication").get("role"));
  }

  @Test
  void theReverseInstanceLogsInToTheDestinationWithTheConfiguredAccount() {
    String user = "sb_repl_" + Long.toHexString(System.nanoTime());
    try (Jedis d = RedisLab.client(DESTINATION_PORT, "acl")) {
      d.aclSetUser(user, "on", ">replpw", "+psync", "+replconf", "+ping");
    }
    try {
      CutoverPlan withLogin =
          RedisLab.plan(
              Map.of(), Map.of("reverseMasterUser", user, "reverseMasterPassword", "env:REPL_PW"));
      MigrationContext login =
          new MigrationContext(
              "cutover-redis-lab",
              withLogin,
              new Connections(new Secrets(Map.of("REPL_PW", "replpw"))));
      RedisLab.attachForward();
      provider.pause(login, Direction.FORWARD);
      provider.createReverseIncremental(login);
      RedisLab.await(
          "the reverse instance to run",
          Duration.ofSeconds(10),
          () -> provider.describe(login, Direction.REVERSE).running());
      try (Jedis d = RedisLab.client(DESTINATION_PORT, "check")) {
        List<ClientEntry> replicas = ClientEntry.parse(d.clientList(ClientType.REPLICA));
        assertEquals(1, replicas.size(), replicas.toString());
        assertEquals(user, replicas.get(0).user(), "the old source logged in as " + user);
      }
    } finally {
      try (Jedis d = RedisLab.client(DESTINATION_PORT, "acl")) {
        d.aclDelUser(user);
      }
    }
  }

  /**
   * Why the old source's fence should be lifted after the reverse instance is attached: a write the
   * fence held then fails READONLY instead of landing on a server the application has left, and the
   * reverse stream (held by the pause on the replica side) flows once the fence is lifted.
   */
  @Test
  void aWriteHeldOnTheOldSourceFailsReadOnlyWhenTheReverseAttachesBeforeTheFenceLifts()
      throws Exception {
    CutoverPlan releasing = RedisLab.plan(Map.of("fencePeriod", "2s", "heldWrites", "release"));
    EngineContext sourceSide = RedisLab.engineContext(releasing, Side.SOURCE);
    RedisLab.attachForward();
    RedisEngine engine = engine();
    engine.fenceWrites(sourceSide);
    Jedis late = client(SOURCE_PORT, "late");
    CompletableFuture<String> held =
        CompletableFuture.supplyAsync(() -> late.set(prefix + "late", "1"));
    provider.pause(ctx, Direction.FORWARD);
    provider.createReverseIncremental(ctx);
    client(DESTINATION_PORT, "app").set(prefix + "on-destination", "1");
    RedisLab.await(
        "the reverse instance to attach",
        Duration.ofSeconds(10),
        () -> provider.describe(ctx, Direction.REVERSE).running());
    String target = provider.writerPosition(ctx, Direction.REVERSE);
    Thread.sleep(500);
    assertFalse(
        provider.drained(ctx, Direction.REVERSE, target), "the fence holds the reverse stream");

    engine.unfenceWrites(sourceSide);
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> held.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().startsWith("READONLY"), e.getCause().getMessage());
    RedisLab.await(
        "the reverse drain",
        Duration.ofSeconds(5),
        () -> provider.drained(ctx, Direction.REVERSE, target));
    Jedis source = client(SOURCE_PORT, "check");
    assertEquals("1", source.get(prefix + "on-destination"));
    assertNull(source.get(prefix + "late"));
    assertNotNull(provider.describe(ctx, Direction.REVERSE).position());
  }

  /**
   * With the engine that holds the fence, creating the reverse instance attaches the old source
   * while the pause still holds, then lifts the pause itself: there is no moment in which the old
   * source is both a master and unfenced, so a stray write there never lands.
   */
  @Test
  void theReverseInstanceIsAttachedUnderTheFenceAndThenLiftsIt() throws Exception {
    EngineContext sourceSide = RedisLab.engineContext(plan, Side.SOURCE);
    RedisLab.attachForward();
    RedisEngine engine = engine();
    RedisProvider withEngine = new RedisProvider(engine);
    engine.fenceWrites(sourceSide);
    Jedis stray = client(SOURCE_PORT, "stray");
    CompletableFuture<String> held =
        CompletableFuture.supplyAsync(() -> stray.set(prefix + "held", "1"));
    withEngine.pause(ctx, Direction.FORWARD);

    withEngine.createReverseIncremental(ctx);

    assertNull(engine.fenceOn(RedisEngine.endpoint(sourceSide).address()), "pause lifted");
    ExecutionException refused =
        assertThrows(ExecutionException.class, () -> held.get(5, TimeUnit.SECONDS));
    assertNotNull(refused.getCause(), "the held write was refused, never acknowledged");
    JedisDataException readOnly =
        assertThrows(
            JedisDataException.class,
            () -> client(SOURCE_PORT, "later").set(prefix + "later", "1"));
    assertTrue(readOnly.getMessage().startsWith("READONLY"), readOnly.getMessage());
    client(DESTINATION_PORT, "app").set(prefix + "on-destination", "1");
    RedisLab.await(
        "the reverse instance to run",
        Duration.ofSeconds(10),
        () -> withEngine.describe(ctx, Direction.REVERSE).running());
    String target = withEngine.writerPosition(ctx, Direction.REVERSE);
    RedisLab.await(
        "the reverse drain",
        Duration.ofSeconds(5),
        () -> withEngine.drained(ctx, Direction.REVERSE, target));
    Jedis source = client(SOURCE_PORT, "check");
    assertEquals("1", source.get(prefix + "on-destination"));
    assertNull(source.get(prefix + "held"));
    assertNull(source.get(prefix + "later"));

    // A retry of the same step finds the reverse instance and changes nothing.
    withEngine.createReverseIncremental(ctx);
    assertTrue(withEngine.describe(ctx, Direction.REVERSE).running());
  }

  /**
   * A worker restart left nobody renewing the fence and the pause ran out: the old source then took
   * a write after the destination was detached. Attaching it as the reverse replica would replace
   * that write with the destination's data, so the reverse instance is refused and nothing is
   * attached; without such a write the attach goes on.
   */
  @Test
  void aSourceWrittenWhileNoFenceHeldIsNotAttachedAndKeepsItsWrite() {
    RedisLab.attachForward();
    RedisProvider afterRestart = new RedisProvider(engine()); // holds no fence: none is in force
    afterRestart.pause(ctx, Direction.FORWARD);
    client(SOURCE_PORT, "stray").set(prefix + "stray", "written while nothing fenced");

    ApplicationFailure refused =
        assertThrows(ApplicationFailure.class, () -> afterRestart.createReverseIncremental(ctx));

    assertTrue(refused.isNonRetryable());
    assertEquals(FailureTypes.FENCE_LAPSED, refused.getType());
    assertTrue(
        refused.getOriginalMessage().contains("no worker holds the write fence"),
        refused.getOriginalMessage());
    assertTrue(
        refused.getOriginalMessage().contains("bytes past the point where the destination was"),
        refused.getOriginalMessage());
    Jedis source = client(SOURCE_PORT, "check");
    assertEquals("master", source.role().get(0).toString());
    assertEquals("written while nothing fenced", source.get(prefix + "stray"));
  }

  @Test
  void aSourceThatTookNoWriteIsAttachedEvenWhenNoFenceHeld() {
    RedisLab.attachForward();
    RedisProvider afterRestart = new RedisProvider(engine());
    afterRestart.pause(ctx, Direction.FORWARD);

    afterRestart.createReverseIncremental(ctx);

    RedisLab.await(
        "the reverse instance to run",
        Duration.ofSeconds(10),
        () -> afterRestart.describe(ctx, Direction.REVERSE).running());
  }
}
