package dev.switchback.activities.mysql;

import static dev.switchback.activities.mysql.MySqlLab.count;
import static dev.switchback.activities.mysql.MySqlLab.exec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine against a real server: the session check, the fence, unfence, revoke, preflight.
 * Subclasses pick the servers.
 */
abstract class MySqlEngineContract {
  private static final String DB = "sbt_engine";
  private static final String REVOKEE = "sbt_revokee";
  private static final String EXEMPT = "sbt_exempt_app";

  abstract MySqlLab lab();

  private MySqlEngine engine;
  private CutoverPlan plan;
  private EngineContext source;

  @BeforeEach
  void setUp() throws Exception {
    engine = new MySqlEngine(lab().engine);
    plan = lab().plan("engine", DB, List.of());
    source = lab().engine(plan, Side.SOURCE);
    lab().clean(DB);
    lab().accounts(plan);
    try (Connection s = lab().admin(Side.SOURCE)) {
      exec(s, "SET SESSION sql_log_bin = 0");
      exec(s, "CREATE DATABASE " + DB);
      exec(s, "CREATE TABLE " + DB + ".t (id INT PRIMARY KEY, v VARCHAR(40))");
      exec(s, "INSERT INTO " + DB + ".t VALUES (1, 'one')");
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    lab().clean(DB);
    for (Side side : Side.values()) {
      try (Connection c = lab().admin(side)) {
        exec(c, "SET SESSION sql_log_bin = 0");
        exec(c, "DROP USER IF EXISTS '" + REVOKEE + "'@'%'");
        exec(c, "DROP USER IF EXISTS '" + EXEMPT + "'@'%'");
      }
    }
  }

  private static String id(Connection c) throws SQLException {
    return Sql.one(c, "SELECT CONNECTION_ID()");
  }

  private static Set<String> ids(List<SessionInfo> sessions) {
    return sessions.stream().map(SessionInfo::id).collect(Collectors.toSet());
  }

  @Test
  void aWriterThatBeganSinceTheLastListingIsSeenByTheNextOneAtOnce() throws Exception {
    // INNODB_TRX is a cache InnoDB refreshes only after 0.1 s without a read: back-to-back
    // listings (the fence's, then the session check's) must still see a new writer.
    assertEquals(List.of(), engine.listSessions(source).writers());
    try (Connection writer = lab().app(Side.SOURCE)) {
      writer.setAutoCommit(false);
      exec(writer, "INSERT INTO " + DB + ".t VALUES (3, 'just begun')");

      assertEquals(Set.of(id(writer)), ids(engine.listSessions(source).writers()));
      writer.rollback();
      assertEquals(List.of(), engine.listSessions(source).writers(), "and its end at once too");
    }
  }

  @Test
  void sessionsShowAMidTransactionWriterButNotAnIdleReaderNorTheMigrationAccount()
      throws Exception {
    try (Connection writer = lab().app(Side.SOURCE);
        Connection reader = lab().app(Side.SOURCE);
        Connection migrator =
            lab().login(Side.SOURCE, MySqlLab.MIGRATOR, MySqlLab.REPLICATION_PASSWORD)) {
      writer.setAutoCommit(false);
      exec(writer, "INSERT INTO " + DB + ".t VALUES (2, 'uncommitted')");
      reader.setAutoCommit(false);
      assertEquals(1, count(reader, "SELECT COUNT(*) FROM " + DB + ".t"));
      String writerId = id(writer);
      String readerId = id(reader);
      String migratorId = id(migrator);

      Sessions s = engine.listSessions(source);
      assertEquals(Set.of(writerId), ids(s.writers()), "writers: " + s.writers());
      SessionInfo w = s.writers().get(0);
      assertEquals(MySqlLab.APP, w.user());
      assertTrue(w.detail().contains("1 rows modified"), w.detail());
      assertTrue(ids(s.others()).contains(readerId), "the idle reader is listed, not as a writer");
      assertFalse(ids(s.writers()).contains(readerId));
      assertFalse(
          ids(s.others()).contains(migratorId) || ids(s.writers()).contains(migratorId),
          "the migration account is excluded");
      assertTrue(s.excluded() >= 1, "excluded: " + s.excluded());
      assertTrue(
          s.others().stream().noneMatch(o -> "switchback".equals(o.application())),
          "Switchback's own sessions are excluded: " + s.others());

      // Without performance_schema (MariaDB's default) the same sessions are told apart.
      try (Connection admin = lab().connections.connection("source", plan.source())) {
        Sessions plain = engine.sessions(admin, Dialect.of(admin), source, false);
        assertEquals(Set.of(writerId), ids(plain.writers()));
        assertTrue(ids(plain.others()).contains(readerId));
        assertFalse(ids(plain.others()).contains(migratorId));
      }
      writer.rollback();
    }
  }

  @Test
  void namedApplicationAccountsAreTheOnlySessionsChecked() throws Exception {
    CutoverPlan named = lab().plan("engine", DB, List.of("sbt_someone_else"));
    try (Connection writer = lab().app(Side.SOURCE)) {
      writer.setAutoCommit(false);
      exec(writer, "INSERT INTO " + DB + ".t VALUES (3, 'uncommitted')");
      Sessions s = engine.listSessions(lab().engine(named, Side.SOURCE));
      assertFalse(ids(s.writers()).contains(id(writer)));
      assertFalse(ids(s.others()).contains(id(writer)));
      writer.rollback();
    }
  }

  @Test
  void fenceEndsOpenWriteTransactionsAndRefusesNewWritesUntilLifted() throws Exception {
    try (Connection writer = lab().app(Side.SOURCE);
        Connection reader = lab().app(Side.SOURCE)) {
      writer.setAutoCommit(false);
      exec(writer, "INSERT INTO " + DB + ".t VALUES (2, 'open at the fence')");
      reader.setAutoCommit(false);
      count(reader, "SELECT COUNT(*) FROM " + DB + ".t");

      FenceResult fence = engine.fenceWrites(source);
      assertEquals(Side.SOURCE, fence.side());
      assertEquals(1, fence.terminatedSessions(), fence.detail());
      assertThrows(SQLException.class, writer::commit, "the open write transaction was ended");
      assertTrue(reader.isValid(2), "an idle reader keeps its session");
      reader.rollback();
      assertTrue(engine.listSessions(source).writers().isEmpty());
    }
    try (Connection admin = lab().admin(Side.SOURCE)) {
      assertEquals(0, count(admin, "SELECT COUNT(*) FROM " + DB + ".t WHERE id = 2"));
    }
    try (Connection app = lab().app(Side.SOURCE)) {
      SQLException e =
          assertThrows(
              SQLException.class, () -> exec(app, "INSERT INTO " + DB + ".t VALUES (4, 'x')"));
      assertEquals(1290, e.getErrorCode(), e.getMessage());
    }
    FenceResult again = engine.fenceWrites(source);
    assertTrue(again.detail().contains("already ON"), again.detail());

    FenceResult lifted = engine.unfenceWrites(source);
    assertEquals("fence lifted", lifted.detail());
    try (Connection app = lab().app(Side.SOURCE)) {
      exec(app, "INSERT INTO " + DB + ".t VALUES (4, 'after the fence')");
    }
    assertEquals("no fence was up", engine.unfenceWrites(source).detail());
  }

  @Test
  void revokeRemovesTheAccountsWritePrivilegesAndIsIdempotent() throws Exception {
    try (Connection admin = lab().admin(Side.SOURCE)) {
      exec(admin, "SET SESSION sql_log_bin = 0");
      exec(admin, "CREATE USER '" + REVOKEE + "'@'%' IDENTIFIED BY 'pw'");
      exec(
          admin,
          "GRANT SELECT, INSERT, UPDATE, DELETE, REPLICATION SLAVE ON *.* TO '"
              + REVOKEE
              + "'@'%'");
      exec(admin, "GRANT INSERT, CREATE ON " + DB + ".* TO '" + REVOKEE + "'@'%'");
    }
    String done = engine.revokeWrite(source, REVOKEE);
    assertTrue(done.contains("INSERT, UPDATE, DELETE ON *.*"), done);
    assertTrue(done.contains("INSERT, CREATE ON `" + DB + "`.*"), done);
    try (Connection admin = lab().admin(Side.SOURCE)) {
      Set<String> left = new TreeSet<>();
      for (ShowGrants.Grant g :
          ShowGrants.parse(
              Sql.showRows(admin, "SHOW GRANTS FOR '" + REVOKEE + "'@'%'").stream()
                  .map(r -> r.values().iterator().next().toString())
                  .toList())) {
        g.privileges().forEach(p -> left.add(ShowGrants.name(p)));
      }
      assertEquals(Set.of("REPLICATION SLAVE", "SELECT"), left);
    }
    try (Connection revokee = lab().login(Side.SOURCE, REVOKEE, "pw")) {
      SQLException e =
          assertThrows(
              SQLException.class, () -> exec(revokee, "INSERT INTO " + DB + ".t VALUES (9, 'x')"));
      assertEquals(1142, e.getErrorCode(), e.getMessage());
      assertEquals(1, count(revokee, "SELECT COUNT(*) FROM " + DB + ".t"));
    }
    String again = engine.revokeWrite(source, REVOKEE);
    assertTrue(again.contains("no write privilege to revoke"), again);
    ApplicationFailure unknown =
        assertThrows(
            ApplicationFailure.class, () -> engine.revokeWrite(source, "sbt_no_such_account"));
    assertEquals(FailureTypes.INVALID_PLAN, unknown.getType(), unknown.getMessage());
  }

  @Test
  void preflightChecksPrivilegesAndAccountsThatWriteThroughTheFence() throws Exception {
    List<PreflightCheck> checks = engine.preflight(source);
    List<PreflightCheck> failed = checks.stream().filter(c -> !c.ok()).toList();
    assertTrue(failed.isEmpty(), "failed: " + failed);
    assertTrue(
        checks.stream()
            .map(PreflightCheck::check)
            .toList()
            .containsAll(
                List.of(
                    "mysql.source.privilege.PROCESS",
                    "mysql.source.privilege.fence",
                    "mysql.source.privilege.kill",
                    "mysql.source.unfenced")),
        "checks: " + checks);

    try (Connection admin = lab().admin(Side.SOURCE)) {
      Dialect d = Dialect.of(admin);
      exec(admin, "SET SESSION sql_log_bin = 0");
      exec(admin, "CREATE USER '" + EXEMPT + "'@'%' IDENTIFIED BY 'pw'");
      exec(admin, "GRANT INSERT ON *.* TO '" + EXEMPT + "'@'%'");
      if (d.mariadb()) {
        exec(admin, "GRANT READ_ONLY ADMIN ON *.* TO '" + EXEMPT + "'@'%'");
      }
      CutoverPlan named = lab().plan("engine", DB, List.of(MySqlLab.APP, EXEMPT));
      List<PreflightCheck> result = engine.preflight(lab().engine(named, Side.SOURCE));
      PreflightCheck app = find(result, "mysql.source.fence.applicationAccount." + MySqlLab.APP);
      if (d.mariadb()) {
        assertTrue(app.ok(), app.detail());
        PreflightCheck exempt = find(result, "mysql.source.fence.applicationAccount." + EXEMPT);
        assertFalse(exempt.ok(), exempt.detail());
        assertTrue(exempt.detail().contains("READ_ONLY ADMIN"), exempt.detail());

        // And the server agrees: that account writes through the fence.
        engine.fenceWrites(source);
        try (Connection through = lab().login(Side.SOURCE, EXEMPT, "pw")) {
          exec(through, "INSERT INTO " + DB + ".t VALUES (8, 'through the fence')");
        }
        engine.unfenceWrites(source);
      } else {
        PreflightCheck none = find(result, "mysql.source.fence.exempt");
        assertTrue(none.ok(), none.detail());
      }
    }

    engine.fenceWrites(source);
    PreflightCheck fenced = find(engine.preflight(source), "mysql.source.unfenced");
    assertFalse(fenced.ok(), fenced.detail());
    engine.unfenceWrites(source);
  }

  @Test
  void literalsKeepQuotesAndBackslashesWhateverTheSqlMode() throws Exception {
    String tricky = "a'b\\c\"d`e%_\\";
    try (Connection c = lab().admin(Side.SOURCE)) {
      assertEquals(tricky, Sql.one(c, "SELECT " + Sql.literal(c, tricky)));
      exec(c, "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_BACKSLASH_ESCAPES')");
      assertEquals(tricky, Sql.one(c, "SELECT " + Sql.literal(c, tricky)));
    }
  }

  private static PreflightCheck find(List<PreflightCheck> checks, String name) {
    return checks.stream()
        .filter(c -> c.check().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + name + " in " + checks));
  }
}
