package dev.switchback.demo;

import static dev.switchback.demo.Timelines.assertStepsInOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.CutoverPlan;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * End to end on Redis: the real worker against a port-bound Temporal test server, the two lab
 * servers with native replication as the migration instance, and the demo application writing keys
 * all the time. Every acknowledged key is checked on the side the application ends on (DESIGN.md
 * invariant 2).
 *
 * <p>The fence is {@code CLIENT PAUSE <period> WRITE}, renewed by the worker: here the period is 2
 * s, and each test keeps the source fenced for longer than one period, so the renewals, not the
 * first pause, are what hold the writes back.
 */
class RedisEndToEndTest {
  private static final long FENCE_PERIOD_MS = 2_000;

  private static Demo.Result run(DemoLab lab, boolean rollback, String name) throws Exception {
    DemoOptions options = new DemoOptions("redis", rollback, false, "alice", 200, 4, "3s", 0);
    System.out.println("---- " + name);
    return new Demo(lab, options, CutoverEndToEndTest.repository(), System.out).run(null);
  }

  @Test
  void cutoverUnderContinuousWritesLosesNoKeyAndNothingLandsOnTheFencedSource() throws Exception {
    // The session check watches 3 s, so the source stays fenced longer than one 2 s period.
    Witness lab =
        new Witness(
            new RedisDemoLab(Map.of("fencePeriod", "2s", "sessionWindow", "3s"), "15s"), false);
    Demo.Result r;
    try {
      r = run(lab, false, "cutover");
    } finally {
      lab.stop();
    }
    assertEquals(Outcome.COMPLETED, r.outcome(), r.reason());
    assertEquals(Side.DESTINATION, r.applicationTarget());
    assertTrue(r.acknowledgedWrites() > 200, "the application wrote during the cutover");
    assertEquals(0, r.failedWrites(), "no write failed in the application");
    assertEquals(0, r.lostRows(), "acknowledged keys missing on the destination");
    assertEquals(0, r.carriedBackMissing(), "source keys missing on the destination");
    assertStepsInOrder(
        r.timeline(),
        "quiesceApplication",
        "fenceWrites",
        "checkSessions",
        "awaitDrained",
        "pauseInstance",
        "syncSequences",
        "startReverseIncremental",
        "pointApplication",
        "resumeApplication",
        "runTests",
        "terminateReverseInstance",
        "terminateForwardInstance");
    // The old source is attached as the reverse instance's read-only replica while still paused,
    // and only then is the pause lifted (inside startReverseIncremental): no moment in which a
    // client could write to it.
    assertTrue(
        r.timeline().stream().noneMatch(e -> e.step().equals("unfenceSourceForReverse")),
        "no separate unfence before the reverse instance: " + r.timeline());
    long fenced = step(r, "fenceWrites").endedAtMillis();
    long attaching = step(r, "startReverseIncremental").startedAtMillis();
    assertTrue(
        attaching - fenced > FENCE_PERIOD_MS,
        "the source stayed fenced " + (attaching - fenced) + " ms, longer than one period");
    lab.assertSourceStill(fenced, attaching);
    assertTrue(
        r.report().manualActions().stream().anyMatch(a -> a.contains("writable master again")),
        "the report says the old source is writable after finalize: " + r.report().manualActions());
  }

  @Test
  void rollbackAfterFailedSmokeTestCarriesTheDestinationsKeysBackToTheSource() throws Exception {
    Demo.Result r = run(new RedisDemoLab(Map.of("fencePeriod", "2s"), "15s"), true, "rollback");
    assertEquals(Outcome.ROLLED_BACK, r.outcome(), r.reason());
    assertTrue(r.reason().contains("orders-export-endpoint"), r.reason());
    assertEquals(Side.SOURCE, r.applicationTarget());
    assertEquals(0, r.failedWrites());
    assertEquals(0, r.lostRows(), "acknowledged keys missing on the source after the rollback");
    assertEquals(0, r.carriedBackMissing(), "destination keys not carried back to the source");
    assertTrue(
        r.report().tests().results().stream()
            .anyMatch(t -> !t.passed() && t.detail().contains("HTTP 404")),
        "the planted test failed for real: " + r.report().tests());
    // DESIGN.md section 2: the cutover run the other way.
    assertStepsInOrder(
        r.timeline(),
        "resumeApplication",
        "quiesceApplication",
        "fenceDestination",
        "checkSessionsOnDestination",
        "awaitReverseDrained",
        "syncSequencesBack",
        "terminateReverseInstance",
        "pointApplicationToSource",
        "resumeApplication");
    assertTrue(
        r.timeline().stream().noneMatch(e -> e.outcome().equals("FAILED") && !isTest(e)),
        "only the smoke test failed: " + r.timeline());
  }

  /**
   * A batch job of the application that does not go through the router keeps writing to the source
   * with the application's account. The fence holds its write for the whole quiesce, several
   * periods long; the session check sees it held and never passes, the cutover rolls back before
   * the switch, and the unfence refuses the held write: it never lands anywhere.
   */
  @Test
  void theFenceHoldsAStrayWriteForTheWholeQuiesceLongerThanOnePausePeriod() throws Exception {
    Witness lab = new Witness(new RedisDemoLab(Map.of("fencePeriod", "2s"), "8s"), true);
    Demo.Result r;
    try {
      r = run(lab, false, "stray writer");
    } finally {
      lab.stop();
    }
    assertEquals(Outcome.ROLLED_BACK, r.outcome(), r.reason());
    assertTrue(r.reason().contains(FailureTypes.WRITERS_REMAIN), r.reason());
    assertTrue(r.reason().contains(StrayWriter.NAME), "the held writer is named: " + r.reason());
    assertEquals(Side.SOURCE, r.applicationTarget());
    assertEquals(0, r.failedWrites(), "the application itself lost no write");
    assertEquals(0, r.lostRows());
    assertStepsInOrder(
        r.timeline(),
        "quiesceApplication",
        "fenceWrites",
        "unfenceSource",
        "pointApplicationToSource",
        "resumeApplication");

    long fenced = step(r, "fenceWrites").endedAtMillis();
    long lifting = step(r, "unfenceSource").startedAtMillis();
    long lifted = step(r, "unfenceSource").endedAtMillis();
    assertTrue(
        lifting - fenced > 3 * FENCE_PERIOD_MS,
        "the quiesce held the fence for "
            + (lifting - fenced)
            + " ms, more than three periods of "
            + FENCE_PERIOD_MS
            + " ms");

    List<StrayWriter.Attempt> attempts = lab.stray.attempts();
    assertTrue(attempts.size() > 2, "the stray writer wrote before the fence: " + attempts);
    StrayWriter.Attempt held = attempts.get(attempts.size() - 1);
    for (StrayWriter.Attempt a : attempts.subList(0, attempts.size() - 1)) {
      assertNull(a.error(), "only the held write fails: " + a);
      assertTrue(a.endedAt() <= fenced, "no stray write was acknowledged under the fence: " + a);
    }
    assertNotNull(held.error(), "the held write was refused, never acknowledged: " + held);
    assertTrue(
        held.endedAt() >= lifting && held.endedAt() <= lifted + 1_000,
        "the write was held until the fence was lifted (" + lifting + ".." + lifted + "): " + held);
    assertTrue(
        held.endedAt() - held.sentAt() > 3 * FENCE_PERIOD_MS,
        "one write held for more than three fence periods: " + held);
    System.out.printf(
        "stray write %s held %d ms (fence period %d ms), then refused: %s%n",
        held.key(), held.endedAt() - held.sentAt(), FENCE_PERIOD_MS, held.error());
    for (Side side : Side.values()) {
      try (Jedis j = RedisDemoLab.admin(side)) {
        assertFalse(j.exists(held.key()), "the refused write landed on the " + side.word());
        for (StrayWriter.Attempt a : attempts.subList(0, attempts.size() - 1)) {
          assertTrue(j.exists(a.key()), "an acknowledged stray write is on the " + side.word());
        }
      }
    }
    lab.assertSourceStill(fenced, lifting);
  }

  private static boolean isTest(TimelineEntry e) {
    return e.step().equals("runTests");
  }

  private static TimelineEntry step(Demo.Result r, String name) {
    return r.timeline().stream()
        .filter(e -> e.step().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " missing in " + r.timeline()));
  }

  /**
   * The Redis lab plus two witnesses started once the forward instance runs: a watcher sampling
   * what ran on the source, and, when asked, a stray writer.
   */
  private static final class Witness implements DemoLab {
    private final RedisDemoLab lab;
    private final boolean withStrayWriter;
    private final SourceWatcher watcher = new SourceWatcher();
    StrayWriter stray;

    Witness(RedisDemoLab lab, boolean withStrayWriter) {
      this.lab = lab;
      this.withStrayWriter = withStrayWriter;
    }

    @Override
    public String engine() {
      return lab.engine();
    }

    @Override
    public String unit() {
      return lab.unit();
    }

    @Override
    public void startServers(Path repository, PrintStream progress) throws Exception {
      lab.startServers(repository, progress);
    }

    @Override
    public void prepare(Connections connections) throws Exception {
      lab.prepare(connections);
    }

    @Override
    public CutoverPlan plan(DemoOptions options, String routerUrl, String routerSigningKey) {
      return lab.plan(options, routerUrl, routerSigningKey);
    }

    @Override
    public void createForward(Connections connections, CutoverPlan plan, PrintStream progress)
        throws Exception {
      lab.createForward(connections, plan, progress);
      watcher.start();
      if (withStrayWriter) {
        stray = new StrayWriter();
        stray.start();
      }
    }

    @Override
    public DemoApp startApplication(int writers, double ratePerSecond) throws Exception {
      return lab.startApplication(writers, ratePerSecond);
    }

    @Override
    public List<String> orderNumbers(Side side) {
      return lab.orderNumbers(side);
    }

    void stop() throws InterruptedException {
      watcher.stop();
      if (stray != null) {
        stray.stop();
      }
    }

    /** No SET ran and no key appeared on the source in [from, to], sampled all along. */
    void assertSourceStill(long from, long to) {
      List<long[]> inside =
          watcher.samples.stream().filter(s -> s[0] >= from && s[0] <= to).toList();
      assertTrue(
          inside.size() >= (to - from) / 200,
          "the watcher sampled the fenced interval (" + inside.size() + " samples)");
      long[] first = inside.get(0);
      for (long[] s : inside) {
        String at = " at " + s[0] + " (" + (s[0] - from) + " ms into the fence)";
        assertEquals(first[1], s[1], "a SET ran on the fenced source" + at);
        assertEquals(first[2], s[2], "a key appeared on the fenced source" + at);
      }
      System.out.printf(
          "source: %d SET calls and %d keys, unchanged over %d samples, %d ms of fence%n",
          first[1], first[2], inside.size(), to - from);
    }
  }

  /**
   * Samples the source's {@code SET} calls ({@code INFO commandstats}) and its number of keys with
   * the time, every 50 ms. Not the replication offset: a paused master still sends its replicas a
   * PING every 10 s, which moves {@code master_repl_offset} by 14 bytes (seen on Redis 7.0.15).
   */
  private static final class SourceWatcher implements Runnable {
    final List<long[]> samples = new CopyOnWriteArrayList<>();
    private final Thread thread = new Thread(this, "source-watcher");
    private volatile boolean running = true;

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }

    @Override
    public void run() {
      try (Jedis j = RedisDemoLab.admin(Side.SOURCE)) {
        while (running) {
          long sets = 0;
          for (String line : j.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_set:")) {
              sets = Long.parseLong(line.replaceAll(".*[:,]calls=(\\d+),.*", "$1"));
            }
          }
          long keys = j.dbSize();
          samples.add(new long[] {System.currentTimeMillis(), sets, keys});
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * A process of the application that ignores the router: it writes to the source with the
   * application's account every 50 ms, one write at a time, and stops at its first error. It never
   * retries, so what the fence did to each write is visible.
   */
  private static final class StrayWriter implements Runnable {
    static final String NAME = "orders-batch-job";

    record Attempt(String key, long sentAt, long endedAt, String error) {}

    private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
    private final Thread thread = new Thread(this, NAME);
    private volatile boolean running = true;

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(5_000);
    }

    List<Attempt> attempts() {
      return new ArrayList<>(attempts);
    }

    @Override
    public void run() {
      try (Jedis j =
          new Jedis(
              new HostAndPort(RedisDemoLab.HOST, RedisDemoLab.SOURCE_PORT),
              DefaultJedisClientConfig.builder()
                  .clientName(NAME)
                  .user(RedisDemoLab.APP_USER)
                  .password(RedisDemoLab.APP_PASSWORD)
                  // Longer than any quiesce here: the fence, not a timeout, decides.
                  .socketTimeoutMillis(120_000)
                  .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
                  .build())) {
        for (int n = 0; running; n++) {
          String key = "stray:" + n;
          long sent = System.currentTimeMillis();
          try {
            j.set(key, String.valueOf(n));
            attempts.add(new Attempt(key, sent, System.currentTimeMillis(), null));
          } catch (JedisException e) {
            attempts.add(new Attempt(key, sent, System.currentTimeMillis(), e.toString()));
            return;
          }
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
