package dev.switchback.activities.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Finalize's revoke of the migration account against the real PostgreSQL on 127.0.0.1:5432 (trust,
 * user postgres; {@code SWITCHBACK_POSTGRES_URL} names another server's admin URL): each way the
 * account could keep writing after the old revoke (issue 11, item 4) is set up, and the revoke must
 * either remove it or fail naming it. Each test has its own database and roles, with a random
 * suffix, dropped afterwards.
 */
class PostgresRevokeTest {
  static final String SERVER = server();
  private static final PostgresEngine ENGINE = new PostgresEngine();
  private static Connections connections;

  private final List<String> roles = new ArrayList<>();
  private final List<Connection> sessions = new ArrayList<>();
  private String id;
  private String db;
  private String mig;

  private static String server() {
    String v = System.getenv("SWITCHBACK_POSTGRES_URL");
    return v == null || v.isBlank() ? "jdbc:postgresql://127.0.0.1:5432/" : v;
  }

  @BeforeAll
  static void connections() {
    connections = new Connections(new Secrets(Map.of()));
  }

  @AfterAll
  static void closeConnections() {
    connections.close();
  }

  @BeforeEach
  void database() throws SQLException {
    id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    db = "sbrv_" + id;
    try (Connection c = connect("postgres", "postgres")) {
      c.isValid(2);
    } catch (SQLException e) {
      fail("PostgreSQL at " + SERVER + " (trust, user postgres) is needed: " + e.getMessage());
    }
    admin("postgres", "CREATE DATABASE " + db);
    mig = role("mig", "LOGIN");
    admin(db, "CREATE TABLE t (id bigserial PRIMARY KEY, v text, w text)");
    admin(db, "GRANT SELECT ON t TO " + mig);
  }

  @AfterEach
  void drop() throws SQLException {
    for (Connection s : sessions) {
      s.close();
    }
    admin("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    for (String r : roles) {
      admin("postgres", "DROP ROLE IF EXISTS " + r);
    }
  }

  @Test
  void aSuperuserMigrationAccountFailsTheRevokeNamingTheAccountAndTheFix() throws Exception {
    admin("postgres", "ALTER ROLE " + mig + " SUPERUSER");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(f.isNonRetryable());
    assertTrue(f.getOriginalMessage().contains("'" + mig + "' is a superuser"), f.getMessage());
    assertTrue(f.getOriginalMessage().contains("NOSUPERUSER"), f.getMessage());
  }

  @Test
  void aMistypedRoleFailsInsteadOfFindingNothingToRevoke() {
    String typo = mig + "_typo";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> ENGINE.revokeWrite(context(), typo));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(
        f.getOriginalMessage().startsWith("migrationAccount.user: '" + typo + "' does not exist"),
        f.getMessage());
    assertTrue(f.getOriginalMessage().contains("check migrationAccount.user"), f.getMessage());
  }

  @Test
  void aRoleTheAccountMustSetIsTakenAwayAndTheSessionThatSetItIsEnded() throws Exception {
    // NOINHERIT: has_table_privilege says the account holds nothing, yet SET ROLE writes.
    String writer = role("writer", "NOLOGIN");
    admin("postgres", "ALTER ROLE " + mig + " NOINHERIT");
    admin("postgres", "GRANT " + writer + " TO " + mig);
    admin(db, "GRANT INSERT, UPDATE ON t TO " + writer);
    admin(db, "GRANT USAGE ON SEQUENCE t_id_seq TO " + writer);
    Connection open = session(mig);
    exec(open, "SET ROLE " + writer);
    exec(open, "INSERT INTO t (v) VALUES ('before')");

    String done = revoke();

    assertThrows(
        SQLException.class,
        () -> exec(open, "INSERT INTO t (v) VALUES ('after')"),
        "the session that SET ROLE before the revoke was ended: " + done);
    Connection fresh = session(mig);
    assertEquals(
        "42501",
        assertThrows(SQLException.class, () -> exec(fresh, "SET ROLE " + writer), done)
            .getSQLState());
    assertEquals(1, count("SELECT count(*) FROM t"));
    assertTrue(done.contains("membership in role " + writer), done);
  }

  @Test
  void anOpenTransactionCannotCommitItsWritesAfterTheRevoke() throws Exception {
    admin(db, "GRANT INSERT ON t TO " + mig);
    admin(db, "GRANT USAGE ON SEQUENCE t_id_seq TO " + mig);
    Connection open = session(mig);
    open.setAutoCommit(false);
    exec(open, "INSERT INTO t (v) VALUES ('uncommitted')");

    String done = revoke();

    assertThrows(SQLException.class, open::commit, "the session was ended: " + done);
    assertEquals(0, count("SELECT count(*) FROM t"));
    assertTrue(done.contains("ended 1 session(s)"), done);
  }

  @Test
  void columnGrantsAndTableGrantsAreRevokedAndReadsStay() throws Exception {
    admin(db, "GRANT INSERT (v), UPDATE (w) ON t TO " + mig);
    admin(db, "GRANT DELETE, TRUNCATE ON t TO " + mig);
    admin(db, "GRANT UPDATE ON SEQUENCE t_id_seq TO " + mig);
    admin(db, "GRANT CREATE ON SCHEMA public TO " + mig);
    admin("postgres", "GRANT CREATE ON DATABASE " + db + " TO " + mig);

    String done = revoke();

    Connection after = session(mig);
    assertEquals(0, count(after, "SELECT count(*) FROM t"));
    for (String write :
        List.of(
            "INSERT INTO t (id, v) VALUES (1, 'x')",
            "UPDATE t SET w = 'x'",
            "DELETE FROM t",
            "SELECT setval('t_id_seq', 100)",
            "CREATE TABLE mine (x int)",
            "CREATE SCHEMA mine")) {
      assertEquals(
          "42501",
          assertThrows(SQLException.class, () -> exec(after, write), write + " after " + done)
              .getSQLState(),
          write);
    }
    assertTrue(done.endsWith("no write path left"), done);
  }

  @Test
  void anAccountThatOwnsATableFailsTheRevokeForItCouldGrantItselfWritesBack() throws Exception {
    admin(db, "CREATE TABLE owned (id int)");
    admin(db, "ALTER TABLE owned OWNER TO " + mig);

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(f.getOriginalMessage().contains("owns table public.owned"), f.getMessage());
    assertTrue(f.getOriginalMessage().contains("REASSIGN OWNED BY"), f.getMessage());
    // What the check found is real: the owner gives itself its writes back.
    Connection after = session(mig);
    exec(after, "GRANT INSERT ON owned TO " + mig);
    exec(after, "INSERT INTO owned VALUES (1)");
  }

  @Test
  void aWriteGrantedToPublicFailsTheRevokeNamingPublic() throws Exception {
    admin(db, "GRANT INSERT ON t TO PUBLIC");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertTrue(
        f.getOriginalMessage().contains("INSERT on table public.t (held by itself, PUBLIC)"),
        f.getMessage());
  }

  @Test
  void createRoleFailsTheRevokeForTheAccountCouldGrantItselfWritesAgain() throws Exception {
    admin("postgres", "ALTER ROLE " + mig + " CREATEROLE");

    ApplicationFailure f = assertThrows(ApplicationFailure.class, this::revoke);

    assertTrue(f.getOriginalMessage().contains("NOCREATEROLE"), f.getMessage());
    Connection after = session(mig);
    exec(after, "GRANT pg_write_all_data TO " + mig);
    exec(after, "INSERT INTO t (v) VALUES ('written through pg_write_all_data')");
  }

  @Test
  void aDefaultPrivilegeForLaterTablesIsRevoked() throws Exception {
    admin(
        db,
        "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT INSERT ON TABLES TO "
            + mig);

    String done = revoke();

    admin(db, "CREATE TABLE later (x int)");
    Connection after = session(mig);
    assertEquals(
        "42501",
        assertThrows(SQLException.class, () -> exec(after, "INSERT INTO later VALUES (1)"), done)
            .getSQLState());
    assertTrue(done.contains("default INSERT on TABLES created by postgres"), done);
  }

  @Test
  void aRevokeWithNothingLeftPassesAndRepeatsTheSameOnAFencedOldSource() throws Exception {
    admin(db, "GRANT INSERT, UPDATE, DELETE ON t TO " + mig);
    ENGINE.fenceWrites(context()); // finalize may find the old source still fenced

    String first = revoke();
    String second = revoke();
    ENGINE.unfenceWrites(context());

    assertTrue(first.endsWith("no write path left"), first);
    assertTrue(second.endsWith("no write path left"), second);
  }

  // ---- fixture ----

  private String revoke() {
    return ENGINE.revokeWrite(context(), mig);
  }

  private EngineContext context() {
    return DatabaseEngineContract.contextFor(
        new EndpointSpec("postgres", SERVER + db, "postgres", null, List.of(), Map.of()),
        mig,
        connections);
  }

  private String role(String prefix, String options) throws SQLException {
    String name = "sbrv_" + prefix + "_" + id;
    admin("postgres", "CREATE ROLE " + name + " " + options);
    roles.add(0, name);
    return name;
  }

  private Connection session(String user) throws SQLException {
    Connection c = connect(db, user);
    sessions.add(c);
    return c;
  }

  private static Connection connect(String database, String user) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("ApplicationName", "sbrv-test");
    p.setProperty("connectTimeout", "5");
    return DriverManager.getConnection(SERVER + database, p);
  }

  private static void admin(String database, String sql) throws SQLException {
    try (Connection c = connect(database, "postgres")) {
      exec(c, sql);
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private long count(String sql) throws SQLException {
    try (Connection c = connect(db, "postgres")) {
      return count(c, sql);
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
