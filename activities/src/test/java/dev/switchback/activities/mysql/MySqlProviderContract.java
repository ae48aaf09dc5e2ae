package dev.switchback.activities.mysql;

import static dev.switchback.activities.mysql.MySqlLab.await;
import static dev.switchback.activities.mysql.MySqlLab.count;
import static dev.switchback.activities.mysql.MySqlLab.exec;
import static dev.switchback.activities.mysql.MySqlLab.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.MigrationAccountSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The provider against two real servers: forward instance from a snapshot, pause, exact drain after
 * the fence, the reverse instance at the exact position, terminate. Subclasses pick the servers
 * (the lab's MariaDB pair, or MySQL from the environment).
 */
abstract class MySqlProviderContract {
  private static final Duration WAIT = Duration.ofSeconds(30);

  abstract MySqlLab lab();

  private MySqlProvider provider;
  private MySqlEngine engine;
  private String name;
  private String db;
  private String otherDb;
  private CutoverPlan plan;
  private MigrationContext ctx;

  @BeforeEach
  void setUp(TestInfo info) throws Exception {
    provider = new MySqlProvider(lab().engine);
    engine = new MySqlEngine(lab().engine);
    // Channel names stay under 64 characters: a short id per test method.
    name = "p" + Integer.toHexString(info.getTestMethod().orElseThrow().getName().hashCode());
    db = "sbt_" + name;
    otherDb = "sbt_" + name + "_other";
    plan = lab().plan(name, db, List.of());
    ctx = lab().migration(plan);
    lab().clean(db, otherDb);
    lab().accounts(plan);
    try (Connection s = lab().admin(Side.SOURCE)) {
      exec(s, "CREATE DATABASE " + db);
      exec(s, "CREATE TABLE " + db + ".t (id INT PRIMARY KEY, v VARCHAR(40))");
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    lab().clean(db, otherDb);
  }

  private String table() {
    return db + ".t";
  }

  private void insert(Side side, int from, int to, String value) throws SQLException {
    try (Connection c = lab().app(side);
        PreparedStatement ps =
            c.prepareStatement("INSERT INTO " + table() + " (id, v) VALUES (?, ?)")) {
      for (int i = from; i <= to; i++) {
        ps.setInt(1, i);
        ps.setString(2, value + i);
        ps.executeUpdate();
      }
    }
  }

  private void forwardRunning() throws Exception {
    MySqlMigrationSetup.createForward(lab().connections, plan, true);
    await(WAIT, "the forward instance to run", () -> running(Direction.FORWARD));
  }

  private boolean running(Direction d) {
    InstanceState s = provider.describe(ctx, d);
    assertFalse("FAILED".equals(s.status()), () -> d + " instance failed: " + s.detail());
    return s.running();
  }

  private String drain(Direction d) throws Exception {
    String target = provider.writerPosition(ctx, d);
    await(
        WAIT, "the " + d + " instance to reach " + target, () -> provider.drained(ctx, d, target));
    return target;
  }

  private void fenceSourceDrainAndPause() throws Exception {
    engine.fenceWrites(lab().engine(plan, Side.SOURCE));
    drain(Direction.FORWARD);
    provider.pause(ctx, Direction.FORWARD);
    await(
        WAIT,
        "the forward instance to pause",
        () -> provider.describe(ctx, Direction.FORWARD).paused());
  }

  @Test
  void forwardInstanceCopiesTheSnapshotThenStreamsIncrementalChanges() throws Exception {
    insert(Side.SOURCE, 1, 100, "before-");
    MySqlMigrationSetup.createForward(lab().connections, plan, true);
    try (Connection d = lab().admin(Side.DESTINATION)) {
      assertEquals(100, count(d, "SELECT COUNT(*) FROM " + table()), "snapshot rows");
    }
    await(WAIT, "the forward instance to run", () -> running(Direction.FORWARD));
    insert(Side.SOURCE, 101, 150, "after-");
    try (Connection s = lab().app(Side.SOURCE)) {
      exec(s, "UPDATE " + table() + " SET v = 'changed' WHERE id <= 10");
      exec(s, "DELETE FROM " + table() + " WHERE id BETWEEN 140 AND 150");
    }
    String target = drain(Direction.FORWARD);
    assertFalse(target.isBlank(), "the source has a GTID position");
    try (Connection s = lab().admin(Side.SOURCE);
        Connection d = lab().admin(Side.DESTINATION)) {
      assertEquals(rows(s, table()), rows(d, table()));
      assertEquals(139, rows(d, table()).size());
    }
    InstanceState state = provider.describe(ctx, Direction.FORWARD);
    assertEquals("RUNNING", state.status(), state.detail());
    assertTrue(state.incremental());
    assertNotNull(state.position(), "the applied GTID position");
    assertNotNull(state.latencyMs(), "Seconds_Behind as a hint while both threads run");
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.REVERSE).status());
  }

  @Test
  void pauseStopsBothThreadsAndTheDrainIsNotReportedWhileBehind() throws Exception {
    forwardRunning();
    provider.pause(ctx, Direction.FORWARD);
    InstanceState paused = provider.describe(ctx, Direction.FORWARD);
    assertEquals("PAUSED", paused.status(), paused.detail());
    assertEquals(null, paused.latencyMs(), "no latency while the SQL thread is stopped");
    provider.pause(ctx, Direction.FORWARD);
    assertEquals("PAUSED", provider.describe(ctx, Direction.FORWARD).status());

    insert(Side.SOURCE, 1, 5, "while-paused-");
    String target = provider.writerPosition(ctx, Direction.FORWARD);
    // A window, not a wait: a running instance applies this within a second here; paused, it must
    // not, however long the window lasts.
    Thread.sleep(1000);
    assertFalse(provider.drained(ctx, Direction.FORWARD, target), "a paused instance is behind");
    try (Connection d = lab().admin(Side.DESTINATION)) {
      assertEquals(0, count(d, "SELECT COUNT(*) FROM " + table()));
    }
  }

  @Test
  void drainIsExactAfterTheFenceUnderConcurrentWrites() throws Exception {
    forwardRunning();
    // Writes outside the instance's databases move the source's position too; the filtered
    // transactions must still count as carried, or the drain could never be proved.
    try (Connection s = lab().admin(Side.SOURCE)) {
      exec(s, "CREATE DATABASE " + otherDb);
      exec(s, "CREATE TABLE " + otherDb + ".x (id INT PRIMARY KEY)");
      exec(s, "INSERT INTO " + otherDb + ".x VALUES (1), (2)");
    }
    Set<Integer> acknowledged = new ConcurrentSkipListSet<>();
    Set<Integer> inDoubt = new ConcurrentSkipListSet<>();
    List<Integer> refusals = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger next = new AtomicInteger(1);
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      Thread t =
          new Thread(
              () -> {
                int id = 0;
                try (Connection c = lab().app(Side.SOURCE);
                    PreparedStatement ps =
                        c.prepareStatement("INSERT INTO " + table() + " (id, v) VALUES (?, ?)")) {
                  while (!stop.get()) {
                    id = next.getAndIncrement();
                    ps.setInt(1, id);
                    ps.setString(2, "w" + id);
                    ps.executeUpdate();
                    acknowledged.add(id);
                  }
                } catch (SQLException e) {
                  // A session ended by the fence may have committed its last insert unacknowledged.
                  inDoubt.add(id);
                  refusals.add(e.getErrorCode());
                }
              });
      t.start();
      writers.add(t);
    }
    // The fence must meet writers in full flow, whatever this machine's load: wait for writes.
    await(WAIT, "writes flowing on the source", () -> acknowledged.size() >= 200);
    FenceResult fence = engine.fenceWrites(lab().engine(plan, Side.SOURCE));
    for (Thread t : writers) {
      t.join(10_000);
    }
    stop.set(true);
    assertEquals(4, refusals.size(), "every writer was stopped by the fence: " + refusals);
    assertTrue(
        refusals.stream().allMatch(code -> code == 1290 || code == 1927 || code == 0),
        "writers saw the read-only error or lost their killed session: " + refusals);
    assertFalse(acknowledged.isEmpty(), "writers committed before the fence");
    assertNotNull(fence.method());

    String target = drain(Direction.FORWARD);
    provider.pause(ctx, Direction.FORWARD);
    try (Connection s = lab().admin(Side.SOURCE);
        Connection d = lab().admin(Side.DESTINATION)) {
      assertTrue(provider.drained(ctx, Direction.FORWARD, target));
      Set<Integer> onSource = ids(s);
      Set<Integer> onDestination = ids(d);
      assertTrue(onSource.containsAll(acknowledged), "every acknowledged write is on the source");
      Set<Integer> unacknowledged = new TreeSet<>(onSource);
      unacknowledged.removeAll(acknowledged);
      assertTrue(inDoubt.containsAll(unacknowledged), "no other write: " + unacknowledged);
      assertEquals(onSource, onDestination, "and on the destination after the drain");
      assertEquals(
          0,
          count(
              d,
              "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '"
                  + otherDb
                  + "'"),
          "the instance carries only its databases");
    }
  }

  private Set<Integer> ids(Connection c) throws SQLException {
    return rows(c, table()).stream()
        .map(r -> Integer.parseInt(r.substring(0, r.indexOf('='))))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  @Test
  void reverseInstanceStartsAtTheExactPositionWithNothingReplayedOrSkipped() throws Exception {
    insert(Side.SOURCE, 1, 20, "snap-");
    forwardRunning();
    insert(Side.SOURCE, 21, 40, "fwd-");
    // The destination's own transactions before the switch (here a table only it has) are in its
    // binary log under its own GTID domain or server; the reverse instance must not replay them.
    try (Connection d = lab().admin(Side.DESTINATION)) {
      exec(d, "CREATE TABLE " + db + ".destination_only (id INT PRIMARY KEY)");
      exec(d, "INSERT INTO " + db + ".destination_only VALUES (1)");
    }
    fenceSourceDrainAndPause();

    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(Direction.REVERSE));
    provider.createReverseIncremental(ctx); // a retry finds the instance it made
    assertEquals("RUNNING", provider.describe(ctx, Direction.REVERSE).status());

    // The switch: the application now writes to the destination.
    insert(Side.DESTINATION, 41, 90, "after-switch-");
    try (Connection d = lab().app(Side.DESTINATION)) {
      exec(d, "UPDATE " + table() + " SET v = 'updated-on-destination' WHERE id IN (1, 21, 41)");
      exec(d, "DELETE FROM " + table() + " WHERE id = 2");
    }
    drain(Direction.REVERSE);
    InstanceState reverse = provider.describe(ctx, Direction.REVERSE);
    // A source transaction sent back would fail on its duplicate key and stop the instance.
    assertEquals("RUNNING", reverse.status(), reverse.detail());
    try (Connection s = lab().admin(Side.SOURCE);
        Connection d = lab().admin(Side.DESTINATION)) {
      List<String> source = rows(s, table());
      assertEquals(rows(d, table()), source, "nothing missing on the source");
      assertEquals(89, source.size());
      assertTrue(source.contains("1=updated-on-destination"));
      assertEquals(
          0,
          count(
              s,
              "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                  + db
                  + "' AND TABLE_NAME = 'destination_only'"),
          "the destination's transactions before the switch were not replayed on the source");
    }
  }

  /**
   * The negative control of the test above: a reverse instance positioned from the old source's own
   * history (MariaDB's MASTER_DEMOTE_TO_SLAVE; MySQL auto-positioning without marking the
   * destination's transactions) receives the destination's transactions from before the switch.
   */
  @Test
  void aReversePositionedFromTheOldSourcesOwnHistoryWouldReplayTheDestinationsTransactions()
      throws Exception {
    forwardRunning();
    try (Connection d = lab().admin(Side.DESTINATION)) {
      exec(d, "CREATE TABLE " + db + ".destination_only (id INT PRIMARY KEY)");
    }
    fenceSourceDrainAndPause();
    String reverse = MySqlOptions.reverseInstance(plan);
    MySqlOptions.Address destination = MySqlOptions.destinationAddress(plan);
    try (Connection s = lab().admin(Side.SOURCE)) {
      Dialect d = Dialect.of(s);
      String change =
          d.changeSource(
              reverse,
              Sql.literal(s, destination.host()),
              destination.port(),
              Sql.literal(s, MySqlLab.MIGRATOR),
              Sql.literal(s, MySqlLab.REPLICATION_PASSWORD));
      exec(s, d.mariadb() ? change + ", MASTER_DEMOTE_TO_SLAVE=1" : change);
      exec(s, d.filter(reverse, List.of(db)));
      exec(s, d.startReplica(reverse));
      await(
          WAIT,
          "the destination's own table to reach the source",
          () ->
              count(
                      s,
                      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                          + db
                          + "' AND TABLE_NAME = 'destination_only'")
                  == 1);
    }
  }

  @Test
  void reverseStartsRightWhenNoTransactionFollowedTheSnapshot() throws Exception {
    insert(Side.SOURCE, 1, 10, "snap-");
    forwardRunning();
    fenceSourceDrainAndPause();
    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(Direction.REVERSE));
    insert(Side.DESTINATION, 11, 30, "after-switch-");
    drain(Direction.REVERSE);
    try (Connection s = lab().admin(Side.SOURCE);
        Connection d = lab().admin(Side.DESTINATION)) {
      assertEquals(rows(d, table()), rows(s, table()));
      assertEquals(30, rows(s, table()).size());
    }
  }

  @Test
  void fencedSourceRefusesApplicationWritesWhileTheReverseInstanceKeepsApplying() throws Exception {
    forwardRunning();
    fenceSourceDrainAndPause();
    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(Direction.REVERSE));

    SQLException refused =
        assertThrows(SQLException.class, () -> insert(Side.SOURCE, 500, 500, "stray-"));
    assertEquals(
        1290, refused.getErrorCode(), refused.getMessage()); // ER_OPTION_PREVENTS_STATEMENT
    insert(Side.DESTINATION, 1, 25, "after-switch-");
    drain(Direction.REVERSE);
    try (Connection s = lab().admin(Side.SOURCE)) {
      assertEquals(25, count(s, "SELECT COUNT(*) FROM " + table()));
      assertEquals(1, count(s, "SELECT @@GLOBAL.read_only"), "the source is still fenced");
    }

    engine.unfenceWrites(lab().engine(plan, Side.SOURCE));
    insert(Side.SOURCE, 500, 500, "after-unfence-");
    try (Connection s = lab().admin(Side.SOURCE)) {
      assertEquals(1, count(s, "SELECT COUNT(*) FROM " + table() + " WHERE id = 500"));
    }
  }

  @Test
  void rollbackFencesTheDestinationDrainsTheReverseAndReturnsWritesToTheSource() throws Exception {
    insert(Side.SOURCE, 1, 10, "snap-");
    forwardRunning();
    fenceSourceDrainAndPause();
    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(Direction.REVERSE));
    insert(Side.DESTINATION, 11, 60, "after-switch-");

    // Rollback: fence the destination, prove the reverse drained, lift the source's fence.
    engine.fenceWrites(lab().engine(plan, Side.DESTINATION));
    SQLException refused =
        assertThrows(SQLException.class, () -> insert(Side.DESTINATION, 900, 900, "late-"));
    assertEquals(1290, refused.getErrorCode());
    String target = drain(Direction.REVERSE);
    assertTrue(provider.drained(ctx, Direction.REVERSE, target));
    engine.unfenceWrites(lab().engine(plan, Side.SOURCE));
    insert(Side.SOURCE, 61, 70, "back-on-source-");
    provider.terminate(ctx, Direction.REVERSE);
    provider.terminate(ctx, Direction.REVERSE);
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.REVERSE).status());
    try (Connection s = lab().admin(Side.SOURCE)) {
      List<String> rows = rows(s, table());
      assertEquals(70, rows.size(), "every write made on the destination came back: " + rows);
      assertTrue(rows.contains("60=after-switch-60"));
    }
  }

  @Test
  void reverseIsRefusedWhileTheSourceHasTransactionsTheDestinationLacks() throws Exception {
    forwardRunning();
    provider.pause(ctx, Direction.FORWARD);
    insert(Side.SOURCE, 1, 3, "not-carried-");
    ApplicationFailure e =
        assertThrows(ApplicationFailure.class, () -> provider.createReverseIncremental(ctx));
    assertEquals(FailureTypes.INSTANCE_STATE, e.getType());
    assertTrue(e.isNonRetryable());
    assertTrue(e.getOriginalMessage().contains("not drained"), e.getOriginalMessage());
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.REVERSE).status());
  }

  @Test
  void describeReportsFailedWithTheLastError() throws Exception {
    forwardRunning();
    try (Connection d = lab().admin(Side.DESTINATION)) {
      exec(d, "SET SESSION sql_log_bin = 0");
      exec(d, "INSERT INTO " + table() + " VALUES (7, 'conflict')");
    }
    insert(Side.SOURCE, 7, 7, "source-");
    await(
        WAIT,
        "the forward instance to fail on the duplicate key",
        () -> "FAILED".equals(provider.describe(ctx, Direction.FORWARD).status()));
    InstanceState failed = provider.describe(ctx, Direction.FORWARD);
    assertTrue(failed.detail().contains("1062"), failed.detail());
  }

  @Test
  void terminateRemovesTheInstanceAndIsIdempotent() throws Exception {
    forwardRunning();
    provider.terminate(ctx, Direction.FORWARD);
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.FORWARD).status());
    provider.terminate(ctx, Direction.FORWARD);
    provider.terminate(ctx, Direction.REVERSE);
    ApplicationFailure e =
        assertThrows(ApplicationFailure.class, () -> provider.pause(ctx, Direction.FORWARD));
    assertEquals(FailureTypes.INSTANCE_STATE, e.getType());
  }

  @Test
  void rollbackEndsThePausedForwardInstanceCleanlyAndIdempotently() throws Exception {
    // Issue 10, finding 12: after a rollback the workflow ends the paused forward instance, on a
    // destination that is fenced (read_only) by then.
    insert(Side.SOURCE, 1, 10, "snap-");
    forwardRunning();
    fenceSourceDrainAndPause();
    provider.createReverseIncremental(ctx);
    await(WAIT, "the reverse instance to run", () -> running(Direction.REVERSE));
    insert(Side.DESTINATION, 11, 20, "after-switch-");
    engine.fenceWrites(lab().engine(plan, Side.DESTINATION));
    drain(Direction.REVERSE);
    engine.unfenceWrites(lab().engine(plan, Side.SOURCE));
    provider.terminate(ctx, Direction.REVERSE);
    assertTrue(provider.describe(ctx, Direction.FORWARD).paused());

    provider.terminate(ctx, Direction.FORWARD);
    provider.terminate(ctx, Direction.FORWARD);

    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.FORWARD).status());
    assertEquals("NOT_FOUND", provider.describe(ctx, Direction.REVERSE).status());
    try (Connection d = lab().admin(Side.DESTINATION)) {
      Dialect dialect = Dialect.of(d);
      assertTrue(
          ReplicaStatus.all(d, dialect).stream()
              .noneMatch(r -> r.channel().equals("sbt_fwd_" + name)),
          "the forward channel is still configured on the destination");
    }
    insert(Side.SOURCE, 21, 21, "back-on-source-");
    engine.unfenceWrites(lab().engine(plan, Side.DESTINATION));
  }

  @Test
  void preflightPassesOnAReadyPairAndNamesWhatIsMissing() throws Exception {
    forwardRunning();
    List<PreflightCheck> checks = provider.preflight(ctx);
    List<PreflightCheck> failed = checks.stream().filter(c -> !c.ok()).toList();
    assertTrue(failed.isEmpty(), "failed checks: " + failed);
    assertTrue(checks.size() >= 8, "checks: " + checks);

    CutoverPlan stranger =
        new CutoverPlan(
            plan.name(),
            plan.migration(),
            plan.source(),
            plan.destination(),
            new MigrationAccountSpec("sbt_nobody", null, true),
            plan.router(),
            plan.thresholds(),
            plan.gates(),
            plan.approvers(),
            plan.approvals(),
            plan.tests(),
            plan.validation(),
            plan.soak());
    List<String> names =
        provider.preflight(lab().migration(stranger)).stream()
            .filter(c -> !c.ok())
            .map(PreflightCheck::check)
            .toList();
    assertTrue(
        names.containsAll(
            List.of(
                "mysql.destination.migrationAccount", "mysql.destination.migrationAccount.login")),
        "failed: " + names);
    assertEquals(
        Collections.emptyList(), names.stream().filter(n -> n.contains("forward")).toList());
  }
}
