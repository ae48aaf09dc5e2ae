package dev.switchback.activities.sqlserver;

import static dev.switchback.activities.sqlserver.SqlServerSql.bracket;
import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.sqlserver.SqlServerPrincipals.Principal;
import dev.switchback.activities.sqlserver.SqlServerPrincipals.Resolution;
import dev.switchback.activities.support.RevokeReport;
import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * SQL Server 2019 / 2022: sessions from the DMVs, and one of two write fences.
 *
 * <p><b>{@code deny}</b> (the default): the application's database users are made members of a role
 * {@value #FENCE_ROLE} that is denied INSERT, UPDATE and DELETE on the fenced schemas (endpoint
 * option {@code schemas}, default {@code dbo}), then their sessions are KILLed so no open
 * transaction can commit and reconnecting clients get the DENY. The migration account is not in the
 * role, so the migration keeps writing and CDC capture keeps running. A role rather than a DENY on
 * each user because a DENY on a user would replace an explicit GRANT of the same permission at the
 * same scope, and lifting it would then lose that grant; membership is added and dropped without
 * touching the users' own permissions. Limits: DENY does not apply to sysadmin members, to the
 * database owner (dbo) nor to the owner of the schema or tables (refused before any change); stored
 * procedures owned by the table owner write through ownership chaining without a check of the DENY;
 * TRUNCATE, DDL and writes to other schemas are not covered; a db_owner member could take itself
 * out of the role. It stops a well-behaved application, not an adversary.
 *
 * <p><b>{@code read_only}</b> (endpoint option {@code fence: read_only}): {@code ALTER DATABASE ...
 * SET READ_ONLY WITH ROLLBACK IMMEDIATE}, which rolls back every open transaction and stops every
 * writer, including the migration account and CDC capture: CDC's change tables live in the same
 * database, so while it is read-only the capture job cannot harvest the log tail. The procedure
 * proves the drain after the fence (step 5), so with a CDC-based migration instance that drain
 * stalls until the fence is lifted; the instance would have to be drained before the fence, which
 * this workflow does not do. That is why {@code deny} is the default and preflight refuses {@code
 * read_only} on a database with CDC enabled. It also needs exclusive access to change state, and
 * the reverse instance cannot write into a read-only old source, so the fence must be lifted before
 * the reverse instance starts.
 */
public final class SqlServerEngine implements DatabaseEngine {

  /** The database role that carries the {@code deny} fence. */
  public static final String FENCE_ROLE = "switchback_fence";

  /** How the fence stops writes. */
  enum FenceMode {
    DENY,
    READ_ONLY
  }

  /**
   * Endpoint options.
   *
   * @param fence {@code deny} (default) or {@code read_only}
   * @param schemas the schemas the {@code deny} fence covers (comma separated, default {@code dbo})
   */
  record Options(FenceMode fence, List<String> schemas) {

    static Options of(String field, EndpointSpec endpoint) {
      String fence = endpoint.option("fence", "deny").strip().toLowerCase(Locale.ROOT);
      FenceMode mode =
          switch (fence) {
            case "deny" -> FenceMode.DENY;
            case "read_only" -> FenceMode.READ_ONLY;
            default ->
                throw invalid(
                    field + ".options.fence",
                    "'" + fence + "' is not a SQL Server fence",
                    "use deny (the default: DENY INSERT, UPDATE, DELETE to the application"
                        + " accounts + KILL) or read_only (ALTER DATABASE SET READ_ONLY; also"
                        + " stops CDC capture)");
          };
      List<String> schemas = new ArrayList<>();
      for (String s : endpoint.option("schemas", "dbo").split(",")) {
        String name = s.strip();
        if (name.isEmpty() || name.length() > 128) {
          throw invalid(
              field + ".options.schemas",
              "'" + endpoint.option("schemas", "") + "' has an empty or too long schema name",
              "list schema names separated by commas, e.g. dbo,sales");
        }
        schemas.add(name);
      }
      return new Options(mode, List.copyOf(schemas));
    }
  }

  @Override
  public String name() {
    return "sqlserver";
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    try (Connection c = ctx.connection()) {
      SessionAccounts accounts = accounts(c, ctx);
      return SqlServerSessions.classify(
          query(c, SqlServerSessions.QUERY, List.of(), SqlServerSessions.Row::of), accounts);
    } catch (SQLException e) {
      throw failure(ctx, "listing sessions", e);
    }
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    Options options = Options.of(field(ctx), ctx.endpoint());
    try (Connection c = ctx.connection()) {
      String db = database(c, ctx);
      return options.fence() == FenceMode.DENY
          ? fenceDeny(c, ctx, options, db)
          : fenceReadOnly(c, ctx, db);
    } catch (SQLException e) {
      throw failure(ctx, "fencing writes", e);
    }
  }

  private FenceResult fenceDeny(Connection c, EngineContext ctx, Options options, String db)
      throws SQLException {
    List<Principal> app = applicationPrincipals(c, ctx, db);
    for (String schema : options.schemas()) {
      List<String> owner =
          query(
              c,
              "SELECT USER_NAME(principal_id) AS owner_name FROM sys.schemas WHERE name = ?",
              List.of(schema),
              col -> col.string("owner_name"));
      if (owner.isEmpty()) {
        throw invalid(
            field(ctx) + ".options.schemas",
            "schema '" + schema + "' does not exist in database " + db,
            "list the schemas the application writes to (default dbo)");
      }
      for (Principal p : app) {
        if (p.user().equalsIgnoreCase(owner.get(0))) {
          throw invalid(
              field(ctx) + ".applicationAccounts",
              p.user() + " owns schema " + schema + ", and DENY does not apply to owners",
              "give the schema to another owner, or use options.fence: read_only");
        }
      }
    }
    exec(
        c,
        "IF DATABASE_PRINCIPAL_ID(N'"
            + FENCE_ROLE
            + "') IS NULL CREATE ROLE "
            + bracket(FENCE_ROLE));
    for (String schema : options.schemas()) {
      exec(
          c,
          "DENY INSERT, UPDATE, DELETE ON SCHEMA::"
              + bracket(schema)
              + " TO "
              + bracket(FENCE_ROLE));
    }
    TreeSet<String> members = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    members.addAll(fenceRoleMembers(c));
    List<String> users = new ArrayList<>();
    List<String> logins = new ArrayList<>();
    for (Principal p : app) {
      users.add(p.user());
      logins.add(p.sessionLogin());
      if (!members.contains(p.user())) {
        exec(c, "ALTER ROLE " + bracket(FENCE_ROLE) + " ADD MEMBER " + bracket(p.user()));
      }
    }
    int killed = SqlServerSessions.kill(c, logins).size();
    return new FenceResult(
        ctx.side(),
        "deny insert, update, delete on schema "
            + String.join(", ", options.schemas())
            + " to "
            + String.join(", ", users)
            + " + kill",
        killed,
        "application accounts "
            + users
            + " can no longer write to "
            + db
            + "; "
            + killed
            + " of their sessions killed (open transactions roll back); the migration account"
            + " keeps writing");
  }

  private FenceResult fenceReadOnly(Connection c, EngineContext ctx, String db)
      throws SQLException {
    String method = "alter database " + db + " set read_only with rollback immediate";
    if ("READ_ONLY".equals(updateability(c))) {
      return new FenceResult(ctx.side(), method, 0, "database " + db + " was already read-only");
    }
    int writers =
        SqlServerSessions.classify(
                query(c, SqlServerSessions.QUERY, List.of(), SqlServerSessions.Row::of),
                accounts(c, ctx))
            .writers()
            .size();
    boolean cdc = cdcEnabled(c);
    alterDatabase(c, db, "SET READ_ONLY WITH ROLLBACK IMMEDIATE");
    return new FenceResult(
        ctx.side(),
        method,
        0,
        "database "
            + db
            + " is read-only for every account, the migration account included; "
            + writers
            + " application write transaction(s) rolled back"
            + (cdc
                ? "; CDC is enabled, and its capture is stopped until the fence is lifted"
                : ""));
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    Options options = Options.of(field(ctx), ctx.endpoint());
    try (Connection c = ctx.connection()) {
      String db = database(c, ctx);
      List<String> done = new ArrayList<>();
      // The role is Switchback's own: it is lifted whatever the mode, so that a deny fence never
      // stays behind after the plan changed.
      if (!query(
              c,
              "SELECT 1 AS x FROM sys.database_principals WHERE name = ? AND type = 'R'",
              List.of(FENCE_ROLE),
              col -> col.number("x"))
          .isEmpty()) {
        List<String> members = fenceRoleMembers(c);
        for (String m : members) {
          exec(c, "ALTER ROLE " + bracket(FENCE_ROLE) + " DROP MEMBER " + bracket(m));
        }
        exec(c, "DROP ROLE " + bracket(FENCE_ROLE));
        done.add("dropped role " + FENCE_ROLE + " (members " + members + ")");
      }
      if (options.fence() == FenceMode.READ_ONLY && "READ_ONLY".equals(updateability(c))) {
        alterDatabase(c, db, "SET READ_WRITE WITH ROLLBACK IMMEDIATE");
        done.add("database " + db + " set read-write");
      }
      return new FenceResult(
          ctx.side(),
          options.fence() == FenceMode.DENY
              ? "drop role " + FENCE_ROLE
              : "alter database " + db + " set read_write",
          0,
          done.isEmpty() ? "no fence was up on " + db : String.join("; ", done));
    } catch (SQLException e) {
      throw failure(ctx, "lifting the fence", e);
    }
  }

  /**
   * See {@link SqlServerRevoke}: revoke, end the account's sessions, then prove nothing is left.
   */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    try (Connection c = ctx.connection()) {
      String db = database(c, ctx);
      Resolution r =
          SqlServerPrincipals.resolve(
              query(c, SqlServerPrincipals.QUERY, List.of(), Principal::of), List.of(account));
      if (r.found().isEmpty()) {
        throw RevokeReport.unknownAccount(
            field(ctx), account, "user or login named " + account + " in database " + db);
      }
      return SqlServerRevoke.revoke(c, field(ctx), db, r.found().get(0));
    } catch (SQLException e) {
      throw failure(ctx, "revoking " + account + "'s writes", e);
    }
  }

  /**
   * mssql-jdbc encrypts and checks the server's certificate by default since 10.2 ({@code
   * encrypt=true}); {@code encrypt=false} or {@code optional} sends everything after the login in
   * clear, {@code trustServerCertificate=true} accepts any certificate.
   */
  @Override
  public Transport transport(String field, EndpointSpec endpoint) {
    java.util.Map<String, String> p = SqlServerSql.urlProperties(endpoint.url());
    String encrypt = p.getOrDefault("encrypt", "true");
    String fix =
        "; remove encrypt=false and trustServerCertificate=true from "
            + field
            + ".url and put the server's CA in the worker's trust store (or trustStore=...)";
    if (Set.of("false", "no", "optional").contains(encrypt)) {
      return Transport.plaintext(
          field,
          field
              + ".url has encrypt="
              + encrypt
              + ": only the login is encrypted, not the data"
              + fix);
    }
    if ("true".equals(p.get("trustservercertificate")) && !"strict".equals(encrypt)) {
      return Transport.unverified(
          field,
          field
              + ".url has trustServerCertificate=true: encrypted, but any certificate is accepted"
              + fix);
    }
    return Transport.verified(
        field,
        field
            + ".url: encrypt="
            + encrypt
            + (p.containsKey("encrypt") ? "" : " (mssql-jdbc's default)")
            + ", the server's certificate and host name checked");
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    String f = field(ctx);
    List<PreflightCheck> out = new ArrayList<>();
    Options options;
    try {
      options = Options.of(f, ctx.endpoint());
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck(f + ": SQL Server options", false, e.getOriginalMessage()));
      return out;
    }
    try (Connection c = ctx.connection()) {
      String[] about =
          query(
                  c,
                  "SELECT CONVERT(nvarchar(128), SERVERPROPERTY('ProductVersion')) AS version,"
                      + " DB_NAME() AS db, SUSER_SNAME() AS admin",
                  List.of(),
                  col ->
                      new String[] {col.string("version"), col.string("db"), col.string("admin")})
              .get(0);
      String db = about[1];
      String admin = about[2];
      boolean system = SqlServerSql.isSystemDatabase(db);
      out.add(
          new PreflightCheck(
              f + ": SQL Server reachable",
              !system,
              system
                  ? "connected to system database "
                      + db
                      + "; set databaseName= in "
                      + f
                      + ".url to the application's database"
                  : "SQL Server " + about[0] + ", database " + db + ", as " + admin));
      out.add(
          permission(
              c,
              f + ": VIEW SERVER STATE",
              "HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE')",
              List.of(),
              "lists sessions from the DMVs",
              "GRANT VIEW SERVER STATE TO " + bracket(admin)));
      if (options.fence() == FenceMode.DENY) {
        out.add(
            permission(
                c,
                f + ": ALTER ANY CONNECTION",
                "HAS_PERMS_BY_NAME(NULL, NULL, 'ALTER ANY CONNECTION')",
                List.of(),
                "KILLs the application's sessions at the fence",
                "GRANT ALTER ANY CONNECTION TO " + bracket(admin)));
        out.add(
            permission(
                c,
                f + ": CREATE ROLE",
                "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'CREATE ROLE')",
                List.of(),
                "creates the fence role " + FENCE_ROLE,
                "GRANT CREATE ROLE TO <admin user>"));
        for (String schema : options.schemas()) {
          out.add(
              permission(
                  c,
                  f + ": CONTROL on schema " + schema,
                  "HAS_PERMS_BY_NAME(?, 'SCHEMA', 'CONTROL')",
                  List.of(schema),
                  "denies writes on it to the fence role",
                  "GRANT CONTROL ON SCHEMA::" + bracket(schema) + " TO <admin user>"));
        }
        try {
          List<Principal> app = applicationPrincipals(c, ctx, db);
          List<String> names = new ArrayList<>();
          app.forEach(p -> names.add(p.user() + " (login " + p.sessionLogin() + ")"));
          out.add(
              new PreflightCheck(
                  f + ": application accounts", true, "the deny fence will act on " + names));
        } catch (ApplicationFailure e) {
          out.add(new PreflightCheck(f + ": application accounts", false, e.getOriginalMessage()));
        }
      } else {
        out.add(
            permission(
                c,
                f + ": ALTER on database",
                "HAS_PERMS_BY_NAME(DB_NAME(), 'DATABASE', 'ALTER')",
                List.of(),
                "sets the database read-only",
                "GRANT ALTER ON DATABASE::" + bracket(db) + " TO <admin user>"));
        boolean cdc = cdcEnabled(c);
        out.add(
            new PreflightCheck(
                f + ": read_only fence and CDC",
                !cdc,
                cdc
                    ? "CDC is enabled on "
                        + db
                        + ": READ_ONLY stops CDC capture too, so the drain after the fence would"
                        + " stall; use the default fence (deny)"
                    : "CDC is not enabled on " + db + "; the read-only fence stops every writer"));
      }
      String migration = ctx.migrationAccount();
      if (migration != null) {
        Resolution r =
            SqlServerPrincipals.resolve(
                query(c, SqlServerPrincipals.QUERY, List.of(), Principal::of), List.of(migration));
        out.add(
            new PreflightCheck(
                f + ": migration account",
                r.missing().isEmpty(),
                r.missing().isEmpty()
                    ? migration + " is user " + r.found().get(0).user() + " in " + db
                    : "no user or login named "
                        + migration
                        + " in "
                        + db
                        + "; check migrationAccount.user"));
      }
    } catch (SQLException e) {
      out.add(
          new PreflightCheck(
              f + ": SQL Server reachable",
              false,
              "cannot query " + ctx.endpoint().url() + ": " + e.getMessage()));
    }
    return out;
  }

  // ---- helpers ----

  private static String field(EngineContext ctx) {
    return ctx.side().word();
  }

  /** The connection's database, refusing the system databases before any change. */
  private static String database(Connection c, EngineContext ctx) throws SQLException {
    String db = query(c, "SELECT DB_NAME() AS db", List.of(), col -> col.string("db")).get(0);
    if (SqlServerSql.isSystemDatabase(db)) {
      throw invalid(
          field(ctx) + ".url",
          "connects to system database " + db,
          "add databaseName=<the application's database> to the JDBC URL");
    }
    return db;
  }

  /**
   * The application accounts as database users and logins; every problem that would make the deny
   * fence miss them is refused here, before any change.
   */
  private static List<Principal> applicationPrincipals(Connection c, EngineContext ctx, String db)
      throws SQLException {
    String f = field(ctx) + ".applicationAccounts";
    List<String> names = ctx.endpoint().withDefaults().applicationAccounts();
    if (names.isEmpty()) {
      throw invalid(
          f,
          "the SQL Server deny fence acts on the application's accounts and none are listed",
          "list the logins or database users the application writes with, or set "
              + field(ctx)
              + ".options.fence: read_only");
    }
    Resolution r =
        SqlServerPrincipals.resolve(
            query(c, SqlServerPrincipals.QUERY, List.of(), Principal::of), names);
    if (!r.missing().isEmpty()) {
      throw invalid(
          f,
          "no database user or login named " + r.missing() + " in " + db,
          "name users of " + db + " or their logins");
    }
    SessionAccounts accounts = SessionAccounts.of(ctx);
    for (Principal p : r.found()) {
      if (accounts.isMigration(p.user()) || accounts.isMigration(p.login())) {
        throw invalid(
            f,
            p.user() + " is the migration account",
            "the fence must leave the migration account writing; remove it from " + f);
      }
      if (p.untouchableByDeny()) {
        throw invalid(
            f,
            p.user()
                + (Boolean.TRUE.equals(p.sysadmin())
                    ? " logs in as sysadmin member " + p.login()
                    : " is the database owner (dbo)")
                + ", and DENY does not apply to it",
            "let the application write with an ordinary user, or set "
                + field(ctx)
                + ".options.fence: read_only");
      }
    }
    return r.found();
  }

  private static SessionAccounts accounts(Connection c, EngineContext ctx) throws SQLException {
    SessionAccounts base = SessionAccounts.of(ctx);
    if (base.application().isEmpty() && base.migration().isEmpty()) {
      return base;
    }
    List<Principal> all = query(c, SqlServerPrincipals.QUERY, List.of(), Principal::of);
    List<String> appAliases = new ArrayList<>();
    for (Principal p : SqlServerPrincipals.resolve(all, base.application()).found()) {
      appAliases.add(p.user());
      appAliases.add(p.sessionLogin());
    }
    List<String> migAliases = new ArrayList<>();
    for (Principal p : SqlServerPrincipals.resolve(all, base.migration()).found()) {
      migAliases.add(p.user());
      migAliases.add(p.sessionLogin());
    }
    return base.withAliases(appAliases, migAliases);
  }

  private static List<String> fenceRoleMembers(Connection c) throws SQLException {
    return query(
        c,
        """
        SELECT m.name AS member_name
        FROM sys.database_role_members rm
        JOIN sys.database_principals r ON r.principal_id = rm.role_principal_id
        JOIN sys.database_principals m ON m.principal_id = rm.member_principal_id
        WHERE r.name = ?
        """,
        List.of(FENCE_ROLE),
        col -> col.string("member_name"));
  }

  private static String updateability(Connection c) throws SQLException {
    return query(
            c,
            "SELECT CONVERT(nvarchar(20), DATABASEPROPERTYEX(DB_NAME(), 'Updateability')) AS u",
            List.of(),
            col -> col.string("u"))
        .get(0);
  }

  private static boolean cdcEnabled(Connection c) throws SQLException {
    Long v =
        query(
                c,
                "SELECT CONVERT(int, is_cdc_enabled) AS cdc FROM sys.databases"
                    + " WHERE database_id = DB_ID()",
                List.of(),
                col -> col.number("cdc"))
            .get(0);
    return v != null && v == 1;
  }

  /**
   * Changes the database's state from master, so that this session is not itself a user of the
   * database the change needs exclusive access to, then comes back.
   */
  private static void alterDatabase(Connection c, String db, String change) throws SQLException {
    exec(c, "USE master");
    try {
      exec(c, "ALTER DATABASE " + bracket(db) + " " + change);
    } finally {
      exec(c, "USE " + bracket(db));
    }
  }

  private static PreflightCheck permission(
      Connection c, String check, String expression, List<String> args, String why, String fix)
      throws SQLException {
    Long has = query(c, "SELECT " + expression + " AS has", args, col -> col.number("has")).get(0);
    boolean ok = has != null && has == 1;
    return new PreflightCheck(check, ok, ok ? "held: " + why : "missing: " + why + "; " + fix);
  }

  private static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }

  /** A permission error is for a human to fix; anything else (network, deadlock) is retried. */
  private static RuntimeException failure(EngineContext ctx, String what, SQLException e) {
    String msg =
        field(ctx)
            + " ("
            + ctx.endpoint().url()
            + "): "
            + what
            + " failed: SQL Server error "
            + e.getErrorCode()
            + ": "
            + e.getMessage();
    if (SqlServerSql.isPermissionError(e.getErrorCode())) {
      return ApplicationFailure.newNonRetryableFailure(
          msg
              + " (the admin account "
              + ctx.endpoint().user()
              + " lacks a permission; run preflight)",
          FailureTypes.PERMISSION);
    }
    return new IllegalStateException(msg, e);
  }
}
