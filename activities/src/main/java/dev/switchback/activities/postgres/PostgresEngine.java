package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL sessions, write fence and privileges, for one database (the endpoint URL's).
 *
 * <p>The fence is {@code default_transaction_read_only = on}, stored for the application accounts
 * in this database ({@code ALTER ROLE app IN DATABASE db SET ...}) or, when the plan lists none,
 * for the database ({@code ALTER DATABASE db SET ...}); the application's sessions are then ended
 * so that their reconnections start read-only. Its limit: it is a default, not a permission. A
 * session may {@code SET default_transaction_read_only = off} or {@code BEGIN READ WRITE} and write
 * anyway, so it stops well-behaved applications and pools, not a determined client; the router's
 * quiesce and the session check are the other two layers. What it leaves through on purpose:
 * logical replication apply workers, which write through the executor's per-row entry points rather
 * than {@code ExecutorStart} (where {@code ExecCheckXactReadOnly} refuses writes in a read-only
 * transaction). PostgresEngineIT proves on PostgreSQL 15 that a reverse subscription keeps applying
 * into a database fenced this way, even after its apply worker restarts under the fence, so the old
 * source stays fenced for applications while the reverse instance writes into it.
 */
public final class PostgresEngine implements DatabaseEngine {
  public static final String NAME = "postgres";
  private static final Logger log = LoggerFactory.getLogger(PostgresEngine.class);

  @Override
  public String name() {
    return NAME;
  }

  // ---------------------------------------------------------------------------------------------
  // sessions

  @Override
  public Sessions listSessions(EngineContext ctx) {
    Scope scope = Scope.of(ctx);
    List<SessionInfo> writers = new ArrayList<>();
    List<SessionInfo> others = new ArrayList<>();
    int excluded = 0;
    try (Connection c = ctx.connections().connection(scope.field(), ctx.endpoint());
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT pid, coalesce(usename, ''),"
                        + " coalesce(host(client_addr) || ':' || client_port, 'local socket'),"
                        + " coalesce(application_name, ''), coalesce(state, ''), backend_type,"
                        + " backend_xid IS NOT NULL, xact_start::text, left(query, 120)"
                        + " FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        + " ORDER BY pid")) {
      while (rs.next()) {
        String user = rs.getString(2);
        String app = rs.getString(4);
        String type = rs.getString(6);
        if (type.equals("walsender") || type.startsWith("logical replication")) {
          excluded++; // the migration instance's own traffic
          continue;
        }
        if (!type.equals("client backend")) {
          continue; // autovacuum, parallel workers: not sessions of anyone
        }
        if (!scope.isApplication(user, app)) {
          excluded++;
          continue;
        }
        // An xid is assigned at a transaction's first write, so backend_xid marks a session that
        // holds uncommitted writes, including one idle in transaction.
        boolean writer = rs.getBoolean(7);
        String state = rs.getString(5);
        String detail =
            state
                + (rs.getString(8) == null ? "" : ", transaction since " + rs.getString(8))
                + (writer ? ", holds an xid; last statement: " + rs.getString(9) : "");
        SessionInfo s =
            new SessionInfo(
                Integer.toString(rs.getInt(1)), user, rs.getString(3), app, state, writer, detail);
        (writer ? writers : others).add(s);
      }
      // A prepared transaction is a write without a session: anyone may COMMIT PREPARED it later.
      try (ResultSet p =
          c.createStatement()
              .executeQuery(
                  "SELECT gid, owner::text, prepared::text FROM pg_prepared_xacts"
                      + " WHERE database = current_database() ORDER BY prepared")) {
        while (p.next()) {
          if (!scope.isApplication(p.getString(2), "")) {
            excluded++;
            continue;
          }
          writers.add(
              new SessionInfo(
                  "prepared:" + p.getString(1),
                  p.getString(2),
                  "",
                  "",
                  "prepared",
                  true,
                  "prepared transaction since "
                      + p.getString(3)
                      + "; COMMIT PREPARED or ROLLBACK PREPARED it"));
        }
      }
    } catch (SQLException e) {
      throw Pg.failure("list sessions on the " + scope.field(), e);
    }
    return new Sessions(writers, others, excluded);
  }

  // ---------------------------------------------------------------------------------------------
  // fence

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    Scope scope = Scope.of(ctx);
    try (Connection c = Pg.admin(ctx.connections(), scope.field(), ctx.endpoint())) {
      String db = Pg.text(c, "SELECT current_database()");
      requireRoles(c, scope);
      String method;
      String note = "";
      if (scope.accounts().isEmpty()) {
        Pg.exec(c, "ALTER DATABASE " + Pg.ident(db) + " SET default_transaction_read_only = on");
        method = "default_transaction_read_only=on for database " + db;
        List<String> overriding = overridingRoles(c);
        if (!overriding.isEmpty()) {
          note =
              "; roles "
                  + overriding
                  + " have their own default_transaction_read_only, which beats the database's:"
                  + " list the application accounts in the plan to fence them";
        }
      } else {
        for (String role : scope.accounts()) {
          Pg.exec(
              c,
              "ALTER ROLE "
                  + Pg.ident(role)
                  + " IN DATABASE "
                  + Pg.ident(db)
                  + " SET default_transaction_read_only = on");
        }
        method = "default_transaction_read_only=on for " + scope.accounts() + " in database " + db;
      }
      // The setting reaches new sessions only; end the existing ones so that they reconnect
      // read-only and their open transactions roll back.
      int ended = terminateOlderSessions(c, scope);
      log.info("fenced the {}: {}; ended {} sessions", scope.field(), method, ended);
      return new FenceResult(
          ctx.side(),
          method + " + pg_terminate_backend",
          ended,
          "new sessions of the application are read-only; "
              + ended
              + " sessions ended. A session can still SET default_transaction_read_only = off"
              + note);
    } catch (SQLException e) {
      throw Pg.failure("fence the " + scope.field(), e);
    }
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    Scope scope = Scope.of(ctx);
    try (Connection c = Pg.admin(ctx.connections(), scope.field(), ctx.endpoint())) {
      String db = Pg.text(c, "SELECT current_database()");
      String method;
      if (scope.accounts().isEmpty()) {
        Pg.exec(c, "ALTER DATABASE " + Pg.ident(db) + " RESET default_transaction_read_only");
        method = "RESET default_transaction_read_only for database " + db;
      } else {
        for (String role : scope.accounts()) {
          if (roleExists(c, role)) {
            Pg.exec(
                c,
                "ALTER ROLE "
                    + Pg.ident(role)
                    + " IN DATABASE "
                    + Pg.ident(db)
                    + " RESET default_transaction_read_only");
          }
        }
        method = "RESET default_transaction_read_only for " + scope.accounts() + " in " + db;
      }
      // Sessions opened while fenced keep their read-only default until they reconnect: a pool
      // (or pgbouncer's server connections) would fail every write after the application resumes.
      int ended = terminateOlderSessions(c, scope);
      log.info("lifted the fence on the {}: {}; ended {} sessions", scope.field(), method, ended);
      return new FenceResult(
          ctx.side(),
          method + " + pg_terminate_backend",
          ended,
          ended + " sessions opened during the fence were ended so that they reconnect writable");
    } catch (SQLException e) {
      throw Pg.failure("lift the fence on the " + scope.field(), e);
    }
  }

  /**
   * Ends the application's sessions that started before the setting just changed; sessions started
   * after it have the new default and are left alone.
   */
  private static int terminateOlderSessions(Connection c, Scope scope) throws SQLException {
    String changedAt = Pg.text(c, "SELECT clock_timestamp()::text");
    return Pg.terminateSessionsStartedBefore(c, scope.applicationUsers(c), changedAt);
  }

  // Settings stored for a role (in this database or everywhere) take precedence over the
  // database's, so such roles escape a database-wide fence.
  private static List<String> overridingRoles(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT DISTINCT r.rolname FROM pg_db_role_setting s"
                    + " JOIN pg_roles r ON r.oid = s.setrole"
                    + " WHERE s.setdatabase IN (0,"
                    + "   (SELECT oid FROM pg_database WHERE datname = current_database()))"
                    + " AND EXISTS (SELECT 1 FROM unnest(s.setconfig) kv"
                    + "   WHERE kv LIKE 'default\\_transaction\\_read\\_only=%')"
                    + " ORDER BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static void requireRoles(Connection c, Scope scope) throws SQLException {
    List<String> missing = new ArrayList<>();
    for (String role : scope.accounts()) {
      if (!roleExists(c, role)) {
        missing.add(role);
      }
    }
    if (!missing.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          scope.field()
              + ".applicationAccounts: "
              + missing
              + " do not exist on the "
              + scope.field()
              + "; list the roles the application connects as",
          FailureTypes.INVALID_PLAN);
    }
  }

  private static boolean roleExists(Connection c, String role) throws SQLException {
    return Pg.exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", role);
  }

  // ---------------------------------------------------------------------------------------------
  // revoke

  /** See {@link PgRevoke}: revoke, end the account's sessions, then prove nothing is left. */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    Scope scope = Scope.of(ctx);
    if (account == null || account.isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "migrationAccount.user: missing; name the account to revoke", FailureTypes.INVALID_PLAN);
    }
    try (Connection c = Pg.admin(ctx.connections(), scope.field(), ctx.endpoint())) {
      String done = PgRevoke.revoke(c, scope.field(), account);
      log.info("revoked the writes of {} on the {}: {}", account, scope.field(), done);
      return done;
    } catch (SQLException e) {
      throw Pg.failure("revoke the write privileges of " + account + " on the " + scope.field(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // preflight

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    List<PreflightCheck> out = new ArrayList<>();
    Scope scope;
    try {
      scope = Scope.of(ctx);
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck("postgres: " + ctx.side().word(), false, e.getOriginalMessage()));
      return out;
    }
    String side = scope.field();
    try (Connection c = ctx.connections().connection(side, ctx.endpoint())) {
      out.add(
          new PreflightCheck(
              "postgres: " + side + " reachable",
              true,
              Pg.text(c, "SELECT current_user || '@' || current_database() || ', ' || version()")));
      boolean superuser;
      boolean createRole;
      boolean owner;
      boolean signal;
      boolean readStats;
      try (ResultSet rs =
          c.createStatement()
              .executeQuery(
                  "SELECT r.rolsuper, r.rolcreaterole,"
                      + " (SELECT d.datdba = r.oid FROM pg_database d"
                      + "   WHERE d.datname = current_database()),"
                      + " pg_has_role('pg_signal_backend', 'MEMBER'),"
                      + " pg_has_role('pg_read_all_stats', 'MEMBER')"
                      + " FROM pg_roles r WHERE r.rolname = current_user")) {
        rs.next();
        superuser = rs.getBoolean(1);
        createRole = rs.getBoolean(2);
        owner = rs.getBoolean(3);
        signal = rs.getBoolean(4);
        readStats = rs.getBoolean(5);
      }
      List<String> missing = new ArrayList<>();
      List<String> superAccounts = new ArrayList<>();
      for (String role : scope.accounts()) {
        String isSuper = Pg.text(c, "SELECT rolsuper::text FROM pg_roles WHERE rolname = ?", role);
        if (isSuper == null) {
          missing.add(role);
        } else if ("true".equals(isSuper)) {
          superAccounts.add(role);
        }
      }
      if (!missing.isEmpty()) {
        out.add(
            new PreflightCheck(
                "postgres: application accounts on the " + side,
                false,
                side + ".applicationAccounts " + missing + " do not exist on the " + side));
      }
      boolean canFence;
      String fenceDetail;
      if (scope.accounts().isEmpty()) {
        canFence = superuser || owner;
        fenceDetail =
            canFence
                ? "ALTER DATABASE ... SET default_transaction_read_only (superuser or owner)"
                : "ALTER DATABASE ... SET needs the database's owner or a superuser";
      } else {
        canFence = superuser || (createRole && superAccounts.isEmpty());
        fenceDetail =
            canFence
                ? "ALTER ROLE ... IN DATABASE ... SET default_transaction_read_only"
                : "ALTER ROLE ... IN DATABASE ... SET needs a superuser, or CREATEROLE when no"
                    + " application account is a superuser (superusers: "
                    + superAccounts
                    + ")";
      }
      out.add(
          new PreflightCheck("postgres: privilege to fence the " + side, canFence, fenceDetail));
      boolean canEnd =
          superuser || (signal && superAccounts.isEmpty() && !scope.accounts().isEmpty());
      out.add(
          new PreflightCheck(
              "postgres: privilege to end sessions on the " + side,
              canEnd,
              canEnd
                  ? "pg_terminate_backend allowed"
                  : "grant pg_signal_backend (it cannot end superusers' sessions; a database-wide"
                      + " fence may meet any account, so it needs a superuser)"));
      boolean canSee = superuser || readStats;
      out.add(
          new PreflightCheck(
              "postgres: privilege to see sessions on the " + side,
              canSee,
              canSee
                  ? "pg_stat_activity shows every session's transaction"
                  : "grant pg_read_all_stats: without it other users' backend_xid and queries"
                      + " are hidden"));
    } catch (SQLException e) {
      out.add(
          new PreflightCheck(
              "postgres: " + side + " reachable",
              false,
              e.getMessage() + " (SQLSTATE " + e.getSQLState() + ")"));
    }
    return out;
  }

  @Override
  public Transport transport(String field, EndpointSpec endpoint) {
    return PgTransport.url(field, endpoint.url());
  }

  // ---------------------------------------------------------------------------------------------

  /** Whose sessions are the application's on one endpoint. */
  private record Scope(String field, List<String> accounts, String migrationAccount) {

    static Scope of(EngineContext ctx) {
      String field = ctx.side().word();
      PgEndpoint.of(field, ctx.endpoint()); // a clear error for a bad URL, before anything else
      List<String> accounts =
          ctx.endpoint().applicationAccounts() == null
              ? List.of()
              : List.copyOf(ctx.endpoint().applicationAccounts());
      return new Scope(field, accounts, ctx.migrationAccount());
    }

    boolean isApplication(String user, String applicationName) {
      if (Connections.APPLICATION_NAME.equals(applicationName)) {
        return false;
      }
      if (user.equals(migrationAccount)) {
        return false;
      }
      return accounts.isEmpty() || accounts.contains(user);
    }

    /** The users whose sessions the fence ends: the accounts, or everyone but the excluded. */
    List<String> applicationUsers(Connection c) throws SQLException {
      if (!accounts.isEmpty()) {
        return accounts;
      }
      List<String> users = new ArrayList<>();
      try (ResultSet rs = c.createStatement().executeQuery("SELECT rolname FROM pg_roles")) {
        while (rs.next()) {
          if (!rs.getString(1).equals(migrationAccount)) {
            users.add(rs.getString(1));
          }
        }
      }
      return users;
    }
  }
}
