package dev.switchback.activities.postgres;

import static dev.switchback.activities.postgres.PgLab.ENGINE;
import static dev.switchback.activities.postgres.PgLab.PROVIDER;
import static dev.switchback.activities.postgres.PgLab.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions, fence and privileges against the PostgreSQL lab. */
class PostgresEngineTest {

  @BeforeAll
  static void lab() {
    PgLab.requireLab();
    System.out.println(
        "lab: "
            + PgLab.queryLong(
                PgLab.SOURCE_PORT, "postgres", "SELECT current_setting('server_version_num')::int")
            + " / "
            + PgLab.queryLong(
                PgLab.DESTINATION_PORT,
                "postgres",
                "SELECT current_setting('server_version_num')::int"));
  }

  @Test
  void fenceBlocksApplicationWritesButNotTheReverseSubscription() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY, v text)");
      String app = p.role("app");
      p.src("GRANT INSERT, SELECT ON items TO " + app);
      // No application accounts listed: the database-wide fence, the one that also covers the
      // reverse subscription's apply worker. Whether it lets that worker through is the question.
      CutoverPlan plan = p.plan();
      var m = p.migration(plan);
      p.startForward(plan);
      p.cutToReverse(plan); // fences the source first
      assertEquals("on", readOnlyDefault(p, app));

      SQLException refused =
          assertThrows(SQLException.class, () -> insert(p.srcAs(app), "items", 1));
      assertEquals("25006", refused.getSQLState(), refused.getMessage());
      assertTrue(refused.getMessage().contains("read-only transaction"), refused.getMessage());

      p.dst("INSERT INTO items VALUES (1, 'written on the destination')");
      await(
          "the reverse instance applies into the fenced source",
          Duration.ofSeconds(30),
          () -> p.srcLong("SELECT count(*) FROM items"),
          n -> n == 1);

      // A worker started after the fence reads the database's settings at startup: restart it
      // and check it still applies.
      long before = applyPid(p);
      p.src(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_subscription WHERE subname = '"
              + p.reverse
              + "' AND pid IS NOT NULL");
      long after =
          await(
              "a new apply worker",
              Duration.ofSeconds(30),
              () -> applyPid(p),
              pid -> pid != 0 && pid != before);
      assertNotEquals(before, after);
      p.dst("INSERT INTO items VALUES (2, 'after the restart')");
      await(
          "the restarted worker applies into the fenced source",
          Duration.ofSeconds(30),
          () -> p.srcLong("SELECT count(*) FROM items"),
          n -> n == 2);
      assertEquals("on", readOnlyDefault(p, app), "the source is still fenced");
      System.out.println(
          "PostgreSQL "
              + PgLab.queryLong(
                  PgLab.SOURCE_PORT, p.db, "SELECT current_setting('server_version_num')::int")
              + ": apply worker writes through default_transaction_read_only=on (database-wide)");
      PROVIDER.terminate(m, Direction.REVERSE);
    }
  }

  @Test
  void roleFenceBlocksOnlyTheApplicationAccountsAndUnfenceRestoresThem() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.src("CREATE TABLE items (id bigint PRIMARY KEY)");
      String app = p.role("app");
      String other = p.role("batch");
      p.src("GRANT INSERT ON items TO " + app + ", " + other);
      CutoverPlan plan = p.plan(List.of(app), null);
      EngineContext src = p.engine(plan, Side.SOURCE);

      try (Connection before = p.srcAs(app)) {
        insert(before, "items", 1);
        FenceResult fenced = ENGINE.fenceWrites(src);
        System.out.println("fence: " + fenced);
        assertEquals(1, fenced.terminatedSessions(), fenced.toString());
        SQLException gone = assertThrows(SQLException.class, () -> insert(before, "items", 2));
        assertFalse("25006".equals(gone.getSQLState()), "the old session was ended, not fenced");
      }
      // A retried fence is harmless (it ends sessions older than itself, read-only or not).
      assertEquals(0, ENGINE.fenceWrites(src).terminatedSessions());
      try (Connection during = p.srcAs(app)) {
        SQLException refused = assertThrows(SQLException.class, () -> insert(during, "items", 3));
        assertEquals("25006", refused.getSQLState());
        try (Connection batch = p.srcAs(other)) {
          insert(batch, "items", 4); // not an application account: not fenced
        }

        FenceResult lifted = ENGINE.unfenceWrites(src);
        System.out.println("unfence: " + lifted);
        // The session opened during the fence keeps its read-only default: it is ended so that a
        // pool reconnects writable instead of failing every write after the switch back.
        assertTrue(lifted.terminatedSessions() >= 1, lifted.toString());
        assertThrows(SQLException.class, () -> insert(during, "items", 5));
      }
      try (Connection afterwards = p.srcAs(app)) {
        insert(afterwards, "items", 6);
      }
      ENGINE.unfenceWrites(src); // idempotent
      assertEquals(3, p.srcLong("SELECT count(*) FROM items"));
    }
  }

  @Test
  void fenceNamesApplicationAccountsThatDoNotExistAndChangesNothing() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      String app = p.role("app");
      CutoverPlan plan = p.plan(List.of(app, "no_such_role_" + p.id), null);
      ApplicationFailure e =
          assertThrows(
              ApplicationFailure.class, () -> ENGINE.fenceWrites(p.engine(plan, Side.SOURCE)));
      assertEquals(FailureTypes.INVALID_PLAN, e.getType());
      assertTrue(e.getOriginalMessage().startsWith("source.applicationAccounts"), e.getMessage());
      assertEquals(
          0,
          p.srcLong(
              "SELECT count(*) FROM pg_db_role_setting WHERE setdatabase ="
                  + " (SELECT oid FROM pg_database WHERE datname = current_database())"));
    }
  }

  @Test
  void sessionListShowsAWriterMidTransactionButNotAnIdleReaderOrTheMigrationAccount()
      throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.src("CREATE TABLE items (id bigint PRIMARY KEY)");
      String app = p.role("app");
      String mig = p.role("mig");
      p.src("GRANT INSERT, SELECT ON items TO " + app + ", " + mig);
      try (Connection writer = p.srcAs(app);
          Connection reader = p.srcAs(app);
          Connection migration = p.srcAs(mig)) {
        writer.setAutoCommit(false);
        insert(writer, "items", 1); // idle in transaction, holding an xid
        try (Statement s = reader.createStatement()) {
          s.executeQuery("SELECT count(*) FROM items").close();
        }
        migration.setAutoCommit(false);
        insert(migration, "items", 2);

        for (List<String> accounts : List.of(List.of(app), List.<String>of())) {
          CutoverPlan plan = p.plan(accounts, mig);
          Sessions s = ENGINE.listSessions(p.engine(plan, Side.SOURCE));
          System.out.println("sessions " + accounts + ": " + s);
          assertEquals(List.of(pid(writer)), ids(s.writers()), s.toString());
          assertTrue(ids(s.others()).contains(pid(reader)), s.toString());
          assertFalse(ids(s.others()).contains(pid(migration)), "migration account excluded");
          assertTrue(s.excluded() >= 1, s.toString());
          SessionInfo w = s.writers().get(0);
          assertEquals(app, w.user());
          assertEquals("idle in transaction", w.state());
        }
        writer.commit();
        CutoverPlan plan = p.plan(List.of(app), mig);
        assertTrue(ENGINE.listSessions(p.engine(plan, Side.SOURCE)).writers().isEmpty());
        migration.rollback();
      }
    }
  }

  @Test
  void preparedTransactionsCountAsWriters() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.src("CREATE TABLE items (id bigint PRIMARY KEY)");
      String app = p.role("app");
      p.src("GRANT INSERT ON items TO " + app);
      String gid = "sbt_gid_" + p.id;
      try (Connection c = p.srcAs(app);
          Statement s = c.createStatement()) {
        s.execute("BEGIN");
        s.execute("INSERT INTO items VALUES (1)");
        s.execute("PREPARE TRANSACTION '" + gid + "'");
      }
      CutoverPlan plan = p.plan(List.of(app), null);
      try {
        Sessions s = ENGINE.listSessions(p.engine(plan, Side.SOURCE));
        assertEquals(List.of("prepared:" + gid), ids(s.writers()), s.toString());
        assertTrue(s.writers().get(0).detail().contains("COMMIT PREPARED"));
      } finally {
        p.src("ROLLBACK PREPARED '" + gid + "'");
      }
      assertTrue(ENGINE.listSessions(p.engine(plan, Side.SOURCE)).writers().isEmpty());
    }
  }

  @Test
  void revokeMakesTheMigrationAccountsInsertFail() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      String mig = p.role("mig");
      p.src("CREATE SCHEMA app; CREATE TABLE app.orders (id int); CREATE TABLE items (id int)");
      p.src("GRANT USAGE ON SCHEMA app TO " + mig);
      p.src("GRANT INSERT, SELECT, UPDATE, DELETE ON items, app.orders TO " + mig);
      try (Connection c = p.srcAs(mig)) {
        insert(c, "items", 1);
        insert(c, "app.orders", 1);
      }
      CutoverPlan plan = p.plan(List.of(), mig);
      EngineContext src = p.engine(plan, Side.SOURCE);
      ENGINE.fenceWrites(src); // finalize may find the old source still fenced
      String done = ENGINE.revokeWrite(src, mig);
      System.out.println("revoke: " + done);
      assertTrue(done.contains("[app, public]"), done);
      ENGINE.unfenceWrites(src);
      try (Connection c = p.srcAs(mig)) {
        for (String table : List.of("items", "app.orders")) {
          SQLException denied = assertThrows(SQLException.class, () -> insert(c, table, 2));
          assertEquals("42501", denied.getSQLState(), denied.getMessage());
        }
        try (Statement s = c.createStatement()) {
          s.executeQuery("SELECT count(*) FROM items").close(); // reading stays allowed
        }
      }
      ENGINE.revokeWrite(src, mig); // idempotent
      ApplicationFailure unknown =
          assertThrows(ApplicationFailure.class, () -> ENGINE.revokeWrite(src, "nobody_" + p.id));
      assertEquals(FailureTypes.INVALID_PLAN, unknown.getType());
      assertTrue(unknown.getOriginalMessage().contains("does not exist"), unknown.getMessage());
    }
  }

  @Test
  void preflightPassesForASuperuserAndNamesMissingPrivileges() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      String app = p.role("app");
      CutoverPlan plan = p.plan(List.of(app), null);
      List<PreflightCheck> ok = ENGINE.preflight(p.engine(plan, Side.SOURCE));
      ok.forEach(c -> System.out.println("preflight: " + c));
      assertTrue(ok.stream().allMatch(PreflightCheck::ok), ok.toString());
      assertEquals(4, ok.size(), ok.toString());

      String weak = p.role("weak");
      CutoverPlan weakPlan =
          new CutoverPlan(
              plan.name(),
              plan.migration(),
              new EndpointSpec(
                  "postgres", plan.source().url(), weak, null, List.of(app, "ghost_" + p.id), null),
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
      List<PreflightCheck> bad = ENGINE.preflight(p.engine(weakPlan, Side.SOURCE));
      bad.forEach(c -> System.out.println("preflight (weak): " + c));
      assertTrue(find(bad, "reachable").ok());
      assertFalse(find(bad, "application accounts").ok());
      assertTrue(find(bad, "application accounts").detail().contains("ghost_"));
      assertFalse(find(bad, "fence").ok());
      assertFalse(find(bad, "end sessions").ok());
      assertFalse(find(bad, "see sessions").ok());
    }
  }

  private static PreflightCheck find(List<PreflightCheck> checks, String part) {
    return checks.stream()
        .filter(c -> c.check().contains(part))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check about " + part + " in " + checks));
  }

  private static void insert(Connection c, String table, int id) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("INSERT INTO " + table + " (id) VALUES (" + id + ")");
    }
  }

  private static String pid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static List<String> ids(List<SessionInfo> sessions) {
    return sessions.stream().map(SessionInfo::id).toList();
  }

  private static long applyPid(PgLab.Pair p) {
    return p.srcLong(
        "SELECT coalesce(max(pid), 0) FROM pg_stat_subscription WHERE subname = '"
            + p.reverse
            + "' AND relid IS NULL");
  }

  private static String readOnlyDefault(PgLab.Pair p, String user) throws SQLException {
    try (Connection c = p.srcAs(user);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW default_transaction_read_only")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
