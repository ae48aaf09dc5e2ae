package dev.switchback.activities.postgres;

import static dev.switchback.activities.postgres.PgLab.ENGINE;
import static dev.switchback.activities.postgres.PgLab.PROVIDER;
import static dev.switchback.activities.postgres.PgLab.SOURCE_PORT;
import static dev.switchback.activities.postgres.PgLab.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The logical replication instance against the PostgreSQL lab (two real clusters). */
class PostgresProviderTest {

  @BeforeAll
  static void lab() {
    PgLab.requireLab();
  }

  @Test
  void forwardInstanceIsCreatedAndReachesIncrementalWithLatency() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY, v text)");
      p.src("INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 1000) g");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.FORWARD).status());

      String created = PostgresMigrationSetup.createForward(p.connections, plan);
      assertTrue(created.startsWith("created"), created);
      InstanceState s =
          await(
              "running, incremental, with a latency",
              Duration.ofSeconds(60),
              () -> PROVIDER.describe(m, Direction.FORWARD),
              st -> st.running() && st.incremental() && st.latencyMs() != null);
      System.out.println("forward: " + s);
      assertTrue(s.latencyMs() >= 0 && s.latencyMs() < 5_000, "latency " + s.latencyMs());
      assertNotNull(s.position());
      assertNotNull(s.lagBytes());
      assertEquals(1000, p.dstLong("SELECT count(*) FROM items"), "initial copy");

      p.src("INSERT INTO items VALUES (1001, 'after the copy')");
      await(
          "a new row applied",
          Duration.ofSeconds(20),
          () -> p.dstLong("SELECT count(*) FROM items"),
          n -> n == 1001);

      String again = PostgresMigrationSetup.createForward(p.connections, plan);
      assertTrue(again.contains("nothing to do"), again);
      // This test's slots only: other tests' instances may run on the same server.
      assertEquals(
          1,
          p.srcLong(
              "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
          "one slot, the forward instance's");
    }
  }

  @Test
  void latencyGrowsWhileApplyIsStalledAndFallsBackOnceItCatchesUp() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      try (Connection blocker = PgLab.connect(PgLab.DESTINATION_PORT, p.db, "postgres")) {
        blocker.setAutoCommit(false);
        try (Statement s = blocker.createStatement()) {
          s.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE"); // the apply worker will wait
        }
        p.src("INSERT INTO items VALUES (1)");
        InstanceState stalled =
            await(
                "latency above 2 s while apply is blocked",
                Duration.ofSeconds(30),
                () -> PROVIDER.describe(m, Direction.FORWARD),
                s -> s.latencyMs() != null && s.latencyMs() >= 2_000);
        System.out.println("stalled: " + stalled);
        assertTrue(stalled.lagBytes() > 0, stalled.toString());
        blocker.rollback();
      }
      InstanceState caughtUp =
          await(
              "latency back under 1 s",
              Duration.ofSeconds(30),
              () -> PROVIDER.describe(m, Direction.FORWARD),
              s -> s.latencyMs() != null && s.latencyMs() < 1_000);
      System.out.println("caught up: " + caughtUp);
      assertEquals(1, p.dstLong("SELECT count(*) FROM items"));
    }
  }

  @Test
  void forwardSetupRefusesWithoutTheSchemaOnTheDestinationAndChangesNothing() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.src("CREATE TABLE items (id bigint PRIMARY KEY, v text)");
      p.src("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)");
      p.dst("CREATE TABLE orders (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      ApplicationFailure e =
          assertThrows(
              ApplicationFailure.class,
              () -> PostgresMigrationSetup.createForward(p.connections, plan));
      assertTrue(e.isNonRetryable());
      assertTrue(e.getOriginalMessage().contains("table public.items is missing"), e.getMessage());
      assertTrue(
          e.getOriginalMessage().contains("table public.orders lacks columns [total]"),
          e.getMessage());
      assertTrue(e.getOriginalMessage().contains("pg_dump --schema-only"), e.getMessage());
      assertEquals(0, p.srcLong("SELECT count(*) FROM pg_publication"), "no publication made");
      assertEquals(
          0,
          p.srcLong(
              "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));

      p.dst("CREATE TABLE items (id bigint PRIMARY KEY, v text, extra int)");
      p.dst("ALTER TABLE orders ADD COLUMN total numeric");
      p.dst("INSERT INTO orders VALUES (1, 2)");
      ApplicationFailure rows =
          assertThrows(
              ApplicationFailure.class,
              () -> PostgresMigrationSetup.createForward(p.connections, plan));
      assertTrue(
          rows.getOriginalMessage().contains("table public.orders already has rows"),
          rows.getMessage());
    }
  }

  @Test
  void pauseReportsPausedOnlyWhenTheApplyWorkerIsGoneAndStopsApplying() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);

      PROVIDER.pause(m, Direction.FORWARD);
      PROVIDER.pause(m, Direction.FORWARD); // idempotent
      InstanceState paused =
          await(
              "PAUSED",
              Duration.ofSeconds(20),
              () -> PROVIDER.describe(m, Direction.FORWARD),
              InstanceState::paused);
      assertNull(paused.latencyMs(), "no walsender, no latency");
      assertEquals(
          0,
          // pg_stat_subscription is cluster-wide: other tests' subscriptions run on the lab too.
          p.dstLong(
              "SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL AND subname = '"
                  + p.forward
                  + "'"),
          "PAUSED means no apply worker");

      p.src("INSERT INTO items VALUES (42)");
      String lsnAfterWrite = text(SOURCE_PORT, p.db, "SELECT pg_current_wal_insert_lsn()::text");
      // The slot must not move past the write: that is what "not applied" means for the drain.
      // A running instance applies within a second here (see the latency above); give it three.
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < until) {
        assertEquals(0, p.dstLong("SELECT count(*) FROM items"), "applied while paused");
        Thread.sleep(100);
      }
      assertFalse(
          PROVIDER.drained(m, Direction.FORWARD, lsnAfterWrite),
          "slot confirmed a position after the write although paused");
      InstanceState after = PROVIDER.describe(m, Direction.FORWARD);
      assertTrue(after.paused());
      assertTrue(after.lagBytes() > 0, "lag grows while paused: " + after);
    }
  }

  @Test
  void exactDrainAfterFenceCoversEveryCommitUnderConcurrentWrites() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE events (id bigint PRIMARY KEY, writer int, at timestamptz)");
      p.src("CREATE SEQUENCE events_id");
      String app = p.role("app");
      p.src("GRANT INSERT, SELECT ON events TO " + app + "; GRANT USAGE ON events_id TO " + app);
      CutoverPlan plan = p.plan(List.of(app), null);
      MigrationContext m = p.migration(plan);
      p.startForward(plan);

      Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicBoolean stop = new AtomicBoolean();
      List<String> fenceErrors = new ArrayList<>();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        Thread t =
            new Thread(
                () -> writeUntilFenced(p, app, writer, acknowledged, stop, fenceErrors),
                "writer-" + w);
        t.start();
        writers.add(t);
      }
      await("writes flowing", Duration.ofSeconds(20), acknowledged::size, n -> n > 300);
      List<Long> latencies = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        InstanceState s = PROVIDER.describe(m, Direction.FORWARD);
        assertTrue(s.running(), s.toString());
        assertNotNull(s.latencyMs(), "latency under load: " + s);
        latencies.add(s.latencyMs());
        Thread.sleep(100); // spacing samples, not waiting for a condition
      }
      System.out.println("latency under load (ms): " + latencies);

      ENGINE.fenceWrites(p.engine(plan, Side.SOURCE));
      long fencedAt = System.nanoTime();
      for (Thread t : writers) {
        t.join(20_000);
      }
      stop.set(true);
      assertEquals(4, fenceErrors.size(), "every writer met the fence: " + fenceErrors);
      String target = PROVIDER.writerPosition(m, Direction.FORWARD);
      await(
          "drained to " + target,
          Duration.ofSeconds(30),
          () -> PROVIDER.drained(m, Direction.FORWARD, target),
          d -> d);
      long drainMs = (System.nanoTime() - fencedAt) / 1_000_000;

      // No waiting after drained(): the proof must already hold.
      Set<Long> onDestination = p.dstIds("SELECT id FROM events");
      Set<Long> onSource = p.srcIds("SELECT id FROM events");
      System.out.printf(
          "drain: %d acknowledged, %d on source, %d on destination, fence to proof %d ms%n",
          acknowledged.size(), onSource.size(), onDestination.size(), drainMs);
      assertTrue(onDestination.containsAll(acknowledged), "an acknowledged write is missing");
      assertEquals(onSource, onDestination, "source and destination differ after the drain");
    }
  }

  private static void writeUntilFenced(
      PgLab.Pair p,
      String app,
      int writer,
      Set<Long> acknowledged,
      AtomicBoolean stop,
      List<String> fenceErrors) {
    while (!stop.get()) {
      try (Connection c = p.srcAs(app);
          PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO events VALUES (nextval('events_id'), ?, now()) RETURNING id")) {
        while (!stop.get()) {
          ps.setInt(1, writer);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            acknowledged.add(rs.getLong(1));
          }
        }
      } catch (SQLException e) {
        if ("25006".equals(e.getSQLState())) {
          synchronized (fenceErrors) {
            fenceErrors.add(e.getMessage());
          }
          return; // a reconnection after the fence is read-only: this writer is fenced
        }
        // terminated by the fence (57P01) or the connection broke: reconnect
      }
    }
  }

  @Test
  void drainIsProvedOnAnIdleSystem() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      p.src("INSERT INTO items SELECT generate_series(1, 10)");
      ENGINE.fenceWrites(p.engine(plan, Side.SOURCE));
      long start = System.nanoTime();
      String target = PROVIDER.writerPosition(m, Direction.FORWARD);
      await(
          "drained to " + target + " with nothing else written",
          Duration.ofSeconds(30),
          () -> PROVIDER.drained(m, Direction.FORWARD, target),
          d -> d);
      System.out.printf("idle drain proved in %d ms%n", (System.nanoTime() - start) / 1_000_000);
      assertEquals(10, p.dstLong("SELECT count(*) FROM items"));
      assertThrows(
          ApplicationFailure.class,
          () -> PROVIDER.drained(m, Direction.FORWARD, "not-an-lsn"),
          "a malformed target is refused");
    }
  }

  @Test
  void reverseInstanceCarriesDestinationWritesBackWithoutReplayingEarlierOnes() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      // audit has no key: a replayed insert would show as a duplicate row instead of an error.
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY, v text)");
      p.schema("CREATE TABLE audit (n int)");
      String app = p.role("app");
      CutoverPlan plan = p.plan(List.of(app), null);
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      p.src("INSERT INTO items SELECT g, 'src' FROM generate_series(1, 100) g");
      p.src("INSERT INTO audit SELECT generate_series(1, 100)");

      InstanceState reverse = p.cutToReverse(plan);
      System.out.println("reverse: " + reverse);
      assertEquals(100, p.dstLong("SELECT count(*) FROM audit"));

      p.dst("INSERT INTO items SELECT g, 'dst' FROM generate_series(101, 150) g");
      p.dst("INSERT INTO audit SELECT generate_series(101, 150)");
      p.dst("UPDATE items SET v = 'changed on dst' WHERE id = 1");
      // Rollback: fence the destination and prove the reverse drain exactly.
      ENGINE.fenceWrites(p.engine(plan, Side.DESTINATION));
      String back = PROVIDER.writerPosition(m, Direction.REVERSE);
      await(
          "reverse drained to " + back,
          Duration.ofSeconds(30),
          () -> PROVIDER.drained(m, Direction.REVERSE, back),
          d -> d);
      // No waiting after drained(): the proof must already hold.
      assertEquals(1, p.srcLong("SELECT count(*) FROM items WHERE v = 'changed on dst'"));
      assertEquals(p.dstIds("SELECT id FROM items"), p.srcIds("SELECT id FROM items"));
      assertEquals(150, p.srcLong("SELECT count(*) FROM audit"), "a write was replayed");
      assertEquals(150, p.srcLong("SELECT count(DISTINCT n) FROM audit"));
      assertEquals(150, p.srcLong("SELECT count(*) FROM items"));

      PROVIDER.createReverseIncremental(m); // a retry finds it and does nothing
      assertEquals(
          1,
          p.dstLong(
              "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + p.reverse + "'"));
      assertTrue(PROVIDER.describe(m, Direction.REVERSE).running());
      InstanceState still = PROVIDER.describe(m, Direction.FORWARD);
      assertTrue(still.paused(), "the forward instance stays paused: " + still);
    }
  }

  @Test
  void reverseInstanceRetryAfterAPartialAttemptKeepsTheOriginalPoint() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE audit (n int)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      PROVIDER.pause(m, Direction.FORWARD);
      await(
          "PAUSED",
          Duration.ofSeconds(20),
          () -> PROVIDER.describe(m, Direction.FORWARD),
          InstanceState::paused);
      // An earlier attempt created the publication and the slot, then died.
      p.dst("CREATE PUBLICATION " + p.reverse + " FOR ALL TABLES");
      p.dst("SELECT pg_create_logical_replication_slot('" + p.reverse + "', 'pgoutput')");
      p.dst("INSERT INTO audit VALUES (1)"); // after the point: must arrive
      PROVIDER.createReverseIncremental(m);
      await(
          "the write after the original point on the source",
          Duration.ofSeconds(30),
          () -> p.srcLong("SELECT count(*) FROM audit"),
          n -> n == 1);
    }
  }

  @Test
  void reverseInstanceIsRefusedWhileTheForwardInstanceIsEnabled() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      ApplicationFailure e =
          assertThrows(ApplicationFailure.class, () -> PROVIDER.createReverseIncremental(m));
      assertTrue(e.isNonRetryable());
      assertEquals(FailureTypes.INSTANCE_STATE, e.getType());
      assertTrue(e.getOriginalMessage().contains("still enabled"), e.getMessage());
      assertEquals(0, p.dstLong("SELECT count(*) FROM pg_publication"), "nothing created");
      assertEquals(
          0,
          p.dstLong(
              "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"));
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.REVERSE).status());
    }
  }

  @Test
  void terminateLeavesNoSlotOnEitherSideAndIsIdempotent() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan(); // database-wide fence: the reverse subscription is in it
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      p.cutToReverse(plan);
      String ours = "'" + p.forward + "', '" + p.reverse + "'";
      assertEquals(1, p.srcLong(slotCount(ours)));
      assertEquals(1, p.dstLong(slotCount(ours)));

      PROVIDER.terminate(m, Direction.REVERSE);
      PROVIDER.terminate(m, Direction.FORWARD);
      for (int port : new int[] {SOURCE_PORT, PgLab.DESTINATION_PORT}) {
        assertEquals(0, PgLab.queryLong(port, p.db, slotCount(ours)), "slot left on " + port);
        assertEquals(
            0,
            PgLab.queryLong(
                port,
                "postgres",
                "SELECT count(*) FROM pg_replication_slots WHERE database = '" + p.db + "'"),
            "a table sync slot left on " + port);
        assertEquals(
            0,
            PgLab.queryLong(
                port,
                p.db,
                "SELECT count(*) FROM pg_subscription WHERE subdbid ="
                    + " (SELECT oid FROM pg_database WHERE datname = current_database())"),
            "subscription left on " + port);
      }
      assertEquals(
          0,
          p.dstLong("SELECT count(*) FROM pg_publication WHERE pubname = '" + p.reverse + "'"),
          "reverse publication left");
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.FORWARD).status());
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.REVERSE).status());

      PROVIDER.terminate(m, Direction.REVERSE);
      PROVIDER.terminate(m, Direction.FORWARD);
      ENGINE.unfenceWrites(p.engine(plan, Side.SOURCE));
    }
  }

  @Test
  void terminateDropsTheSlotWhenOnlyTheSubscriptionIsGone() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      // An attempt that dropped the subscription without its slot, then died.
      p.dst("ALTER SUBSCRIPTION " + p.forward + " DISABLE");
      p.dst("ALTER SUBSCRIPTION " + p.forward + " SET (slot_name = NONE)");
      p.dst("DROP SUBSCRIPTION " + p.forward);
      String ours = "'" + p.forward + "'";
      assertEquals(1, p.srcLong(slotCount(ours)));
      PROVIDER.terminate(m, Direction.FORWARD);
      assertEquals(0, p.srcLong(slotCount(ours)), "the slot would hold WAL on the source forever");
    }
  }

  @Test
  void terminateDuringTheInitialCopyLeavesNoTableSyncSlot() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE big (id bigint PRIMARY KEY, pad text)");
      p.src("INSERT INTO big SELECT g, repeat('x', 50) FROM generate_series(1, 300000) g");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      String syncSlots =
          "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"
              + " AND slot_name LIKE 'pg\\_%\\_sync\\_%'";
      // The copy into the destination runs after its slot exists: a trigger there (ALWAYS, so
      // replication fires it) waits for an advisory lock this test holds, so the slot is seen
      // and terminate meets the copy however fast this machine is. Advisory locks take no
      // transaction id, which creating a slot anywhere on the source's server would wait for.
      p.dst(
          "CREATE FUNCTION hold_copy() RETURNS trigger LANGUAGE plpgsql AS"
              + " $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$");
      p.dst(
          "CREATE TRIGGER hold_copy BEFORE INSERT ON big FOR EACH ROW EXECUTE FUNCTION hold_copy()");
      p.dst("ALTER TABLE big ENABLE ALWAYS TRIGGER hold_copy");
      try (Connection hold = PgLab.connect(PgLab.DESTINATION_PORT, p.db, "postgres");
          Statement st = hold.createStatement()) {
        st.execute("SELECT pg_advisory_lock(4242)");
        PostgresMigrationSetup.createForward(p.connections, plan);
        await("a table sync slot", Duration.ofSeconds(30), () -> p.srcLong(syncSlots), n -> n > 0);
        await(
            "the copy held by the trigger",
            Duration.ofSeconds(30),
            () ->
                p.dstLong(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                        + " AND datname = current_database()"),
            n -> n > 0);
        PROVIDER.terminate(m, Direction.FORWARD);
      }
      assertEquals(
          0,
          p.srcLong(
              "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"),
          "a slot of the terminated instance is left on the source");
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.FORWARD).status());
    }
  }

  private static String slotCount(String names) {
    return "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN (" + names + ")";
  }

  @Test
  void sequencesAreSyncedInBothDirections() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE SEQUENCE counter");
      p.schema("CREATE TABLE orders (id serial PRIMARY KEY)");
      p.schema("CREATE SCHEMA \"Billing\"; CREATE SEQUENCE \"Billing\".\"Invoice No\"");
      p.schema("CREATE SEQUENCE untouched");
      p.src("CREATE SEQUENCE only_on_source");
      p.src("SELECT nextval('counter') FROM generate_series(1, 5)");
      p.src("INSERT INTO orders SELECT FROM generate_series(1, 3)");
      p.src("SELECT setval('\"Billing\".\"Invoice No\"', 1000)");
      p.dst("SELECT setval('untouched', 77)"); // the source's never-called state must win
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      // The destination may still be fenced when sequences are synced.
      ENGINE.fenceWrites(p.engine(plan, Side.DESTINATION));

      SequenceSyncResult forward = PROVIDER.syncSequences(m, Direction.FORWARD);
      System.out.println("sequences: " + forward);
      assertEquals(4, forward.synced());
      assertTrue(forward.detail().contains("missing on the destination: public.only_on_source"));
      ENGINE.unfenceWrites(p.engine(plan, Side.DESTINATION));
      assertEquals(6, p.dstLong("SELECT nextval('counter')"));
      assertEquals(4, p.dstLong("SELECT nextval('orders_id_seq')"));
      assertEquals(1001, p.dstLong("SELECT nextval('\"Billing\".\"Invoice No\"')"));
      assertEquals(1, p.dstLong("SELECT nextval('untouched')"));

      p.dst("SELECT nextval('counter') FROM generate_series(1, 10)"); // 7..16
      SequenceSyncResult back = PROVIDER.syncSequences(m, Direction.REVERSE);
      assertEquals(4, back.synced(), back.detail());
      assertEquals(17, p.srcLong("SELECT nextval('counter')"));
    }
  }

  @Test
  void preflightPassesOnTheLabAndNamesAMissingForwardInstance() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      List<PreflightCheck> before = PROVIDER.preflight(m);
      PreflightCheck missing = find(before, "forward instance");
      assertFalse(missing.ok());
      assertTrue(missing.detail().contains("does not exist"), missing.detail());

      p.startForward(plan);
      List<PreflightCheck> checks = PROVIDER.preflight(m);
      checks.forEach(c -> System.out.println("preflight: " + c));
      assertTrue(checks.stream().allMatch(PreflightCheck::ok), checks.toString());
      assertTrue(
          checks.stream().map(PreflightCheck::check).collect(Collectors.toSet()).size() >= 7,
          checks.toString());
    }
  }

  @Test
  void invalidInstanceNamesAreRefusedBeforeAnySideEffect() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      CutoverPlan plan = p.plan();
      CutoverPlan bad =
          new CutoverPlan(
              plan.name(),
              new dev.switchback.plan.MigrationSpec("postgres", "Bad-Name", p.reverse, Map.of()),
              plan.source(),
              plan.destination(),
              plan.migrationAccount(),
              plan.router(),
              plan.thresholds(),
              plan.gates(),
              plan.approvers(),
              plan.approvals(),
              plan.tests(),
              plan.validation(),
              plan.soak());
      ApplicationFailure e =
          assertThrows(
              ApplicationFailure.class,
              () -> PostgresMigrationSetup.createForward(p.connections, bad));
      assertEquals(FailureTypes.INVALID_PLAN, e.getType());
      assertTrue(e.getOriginalMessage().startsWith("migration.instance:"), e.getMessage());
      assertEquals(0, p.srcLong("SELECT count(*) FROM pg_publication"));
    }
  }

  private static PreflightCheck find(List<PreflightCheck> checks, String part) {
    return checks.stream()
        .filter(c -> c.check().contains(part))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check about " + part + " in " + checks));
  }

  private static String text(int port, String db, String sql) throws SQLException {
    try (Connection c = PgLab.connect(port, db, "postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
