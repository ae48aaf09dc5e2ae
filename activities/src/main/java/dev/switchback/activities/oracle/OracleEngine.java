package dev.switchback.activities.oracle;

import static dev.switchback.activities.oracle.OracleSql.canonical;
import static dev.switchback.activities.oracle.OracleSql.quote;
import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
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

/**
 * Oracle 19c / 23ai: sessions from gv$session and gv$transaction, and a fence on the application's
 * accounts.
 *
 * <p><b>{@code account_lock}</b> (the default): {@code ALTER USER app ACCOUNT LOCK}, then {@code
 * ALTER SYSTEM KILL SESSION 'sid,serial#,@inst_id' IMMEDIATE} for each of their sessions. A lock
 * only refuses new logins, so the kill is what ends the sessions already connected; their open
 * transactions roll back. Reconnecting clients get ORA-28000, so the application's reads stop too.
 * The migration account is not touched and keeps writing. Limits: only the listed accounts are
 * fenced (another account with INSERT/UPDATE/DELETE on the tables still writes); DBMS_SCHEDULER
 * jobs and database links acting as another user are not stopped (unverified for jobs owned by a
 * locked account); unfence unlocks, so an application account that was locked before the fence
 * would come back unlocked (preflight refuses accounts that are not OPEN).
 *
 * <p><b>{@code read_only}</b> (endpoint option {@code fence: read_only}, 23ai only): {@code ALTER
 * USER app READ ONLY} lets the application log in and read but not write; undo {@code READ WRITE}.
 * Whether it reaches sessions already connected is unverified, so their sessions are killed too.
 */
public final class OracleEngine implements DatabaseEngine {

  /** How the fence stops writes. */
  enum FenceMode {
    ACCOUNT_LOCK,
    READ_ONLY
  }

  /** Endpoint options: {@code fence} is {@code account_lock} (default) or {@code read_only}. */
  static FenceMode fenceMode(String field, EndpointSpec endpoint) {
    String fence = endpoint.option("fence", "account_lock").strip().toLowerCase(Locale.ROOT);
    return switch (fence) {
      case "account_lock" -> FenceMode.ACCOUNT_LOCK;
      case "read_only" -> FenceMode.READ_ONLY;
      default ->
          throw invalid(
              field + ".options.fence",
              "'" + fence + "' is not an Oracle fence",
              "use account_lock (the default: ALTER USER ... ACCOUNT LOCK + KILL SESSION) or"
                  + " read_only (23ai: ALTER USER ... READ ONLY + KILL SESSION)");
    };
  }

  /** An application account as the data dictionary has it. */
  record User(String name, String status, boolean oracleMaintained) {}

  @Override
  public String name() {
    return "oracle";
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    try (Connection c = ctx.connection()) {
      return OracleSessions.classify(
          query(c, OracleSessions.QUERY, List.of(), OracleSessions.Row::of), accounts(ctx));
    } catch (SQLException e) {
      throw failure(ctx, "listing sessions", e);
    }
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    FenceMode mode = fenceMode(field(ctx), ctx.endpoint());
    try (Connection c = ctx.connection()) {
      requireVersion(c, ctx, mode);
      List<User> users = applicationUsers(c, ctx);
      List<String> names = new ArrayList<>();
      for (User u : users) {
        names.add(u.name());
        exec(
            c,
            "ALTER USER "
                + quote(u.name())
                + (mode == FenceMode.ACCOUNT_LOCK ? " ACCOUNT LOCK" : " READ ONLY"));
      }
      int killed = OracleSessions.kill(c, names).size();
      String how = mode == FenceMode.ACCOUNT_LOCK ? "account lock" : "read only";
      return new FenceResult(
          ctx.side(),
          "alter user " + String.join(", ", names) + " " + how + " + kill session",
          killed,
          "application accounts "
              + names
              + (mode == FenceMode.ACCOUNT_LOCK
                  ? " cannot log in"
                  : " can log in and read but not write")
              + "; "
              + killed
              + " of their sessions killed (open transactions roll back); the migration account"
              + " keeps writing");
    } catch (SQLException e) {
      throw failure(ctx, "fencing writes", e);
    }
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    FenceMode mode = fenceMode(field(ctx), ctx.endpoint());
    try (Connection c = ctx.connection()) {
      requireVersion(c, ctx, mode);
      List<String> names = new ArrayList<>();
      for (User u : applicationUsers(c, ctx)) {
        names.add(u.name());
        exec(
            c,
            "ALTER USER "
                + quote(u.name())
                + (mode == FenceMode.ACCOUNT_LOCK ? " ACCOUNT UNLOCK" : " READ WRITE"));
      }
      String how = mode == FenceMode.ACCOUNT_LOCK ? "account unlock" : "read write";
      return new FenceResult(
          ctx.side(),
          "alter user " + String.join(", ", names) + " " + how,
          0,
          "application accounts " + names + " can write again");
    } catch (SQLException e) {
      throw failure(ctx, "lifting the fence", e);
    }
  }

  /** See {@link OracleRevoke}: revoke, end the account's sessions, then prove nothing is left. */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    String user = canonical(account);
    try (Connection c = ctx.connection()) {
      if (query(
              c,
              "SELECT username FROM dba_users WHERE username = ?",
              List.of(user),
              col -> col.string("username"))
          .isEmpty()) {
        throw RevokeReport.unknownAccount(field(ctx), account, "user " + user + " in dba_users");
      }
      return OracleRevoke.revoke(c, field(ctx), user);
    } catch (SQLException e) {
      throw failure(ctx, "revoking " + account + "'s writes", e);
    }
  }

  /**
   * TLS is the {@code tcps} protocol in the URL; the JDK's trust store (or a wallet) checks the
   * server's certificate. Oracle's native network encryption, set on the server, is invisible in
   * the URL and never verifies the server.
   */
  @Override
  public Transport transport(String field, EndpointSpec endpoint) {
    String url = endpoint.url() == null ? "" : endpoint.url().toLowerCase(Locale.ROOT);
    if (url.contains("tcps")) {
      return Transport.verified(
          field,
          field
              + ".url uses tcps: TLS, the server's certificate checked against the worker's trust"
              + " store or wallet; its name only with oracle.net.ssl_server_dn_match=true");
    }
    return Transport.plaintext(
        field,
        field
            + ".url uses tcp: no TLS (native network encryption, if the server requires it,"
            + " verifies no server); write jdbc:oracle:thin:@tcps://host:2484/service");
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    String f = field(ctx);
    List<PreflightCheck> out = new ArrayList<>();
    FenceMode mode;
    try {
      mode = fenceMode(f, ctx.endpoint());
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck(f + ": Oracle options", false, e.getOriginalMessage()));
      return out;
    }
    try (Connection c = ctx.connection()) {
      int major = c.getMetaData().getDatabaseMajorVersion();
      boolean versionOk = mode != FenceMode.READ_ONLY || major >= 23;
      out.add(
          new PreflightCheck(
              f + ": Oracle reachable",
              versionOk,
              "Oracle "
                  + c.getMetaData().getDatabaseProductVersion().replaceAll("\\s+", " ")
                  + (versionOk ? "" : "; the read_only fence needs 23ai, use account_lock")));
      out.add(
          readable(c, f, "gv$session", "SELECT COUNT(*) AS n FROM gv$session WHERE ROWNUM = 1"));
      out.add(
          readable(
              c, f, "gv$transaction", "SELECT COUNT(*) AS n FROM gv$transaction WHERE ROWNUM = 1"));
      out.add(readable(c, f, "dba_users", "SELECT COUNT(*) AS n FROM dba_users WHERE ROWNUM = 1"));
      List<String> privs =
          query(
              c,
              "SELECT privilege FROM session_privs"
                  + " WHERE privilege IN ('ALTER USER', 'ALTER SYSTEM')",
              List.of(),
              col -> col.string("privilege"));
      for (String p : List.of("ALTER USER", "ALTER SYSTEM")) {
        boolean held = privs.contains(p);
        out.add(
            new PreflightCheck(
                f + ": " + p,
                held,
                (held ? "held: " : "missing: ")
                    + (p.equals("ALTER USER")
                        ? "locks and unlocks the application accounts"
                        : "kills the application's sessions")
                    + (held ? "" : "; GRANT " + p + " TO <admin>")));
      }
      try {
        List<User> users = applicationUsers(c, ctx);
        List<String> notOpen = new ArrayList<>();
        for (User u : users) {
          if (u.status() != null && u.status().contains("LOCKED")) {
            notOpen.add(u.name() + " (" + u.status() + ")");
          }
        }
        out.add(
            new PreflightCheck(
                f + ": application accounts",
                notOpen.isEmpty(),
                notOpen.isEmpty()
                    ? "the fence will act on " + users.stream().map(User::name).toList()
                    : "already locked: "
                        + notOpen
                        + "; unfence would unlock them, so remove them from "
                        + f
                        + ".applicationAccounts"));
      } catch (ApplicationFailure e) {
        out.add(new PreflightCheck(f + ": application accounts", false, e.getOriginalMessage()));
      }
      if (ctx.migrationAccount() != null) {
        String m = canonical(ctx.migrationAccount());
        boolean exists =
            !query(
                    c,
                    "SELECT username FROM dba_users WHERE username = ?",
                    List.of(m),
                    col -> col.string("username"))
                .isEmpty();
        out.add(
            new PreflightCheck(
                f + ": migration account",
                exists,
                exists
                    ? "user " + m + " exists"
                    : "no user " + m + "; check migrationAccount.user"));
      }
    } catch (SQLException e) {
      out.add(
          new PreflightCheck(
              f + ": Oracle reachable",
              false,
              "cannot query " + ctx.endpoint().url() + ": " + e.getMessage()));
    }
    return out;
  }

  // ---- helpers ----

  private static String field(EngineContext ctx) {
    return ctx.side().word();
  }

  /** Session matching compares names without case, as Oracle's ordinary identifiers do. */
  private static SessionAccounts accounts(EngineContext ctx) {
    return SessionAccounts.of(ctx);
  }

  private static void requireVersion(Connection c, EngineContext ctx, FenceMode mode)
      throws SQLException {
    if (mode == FenceMode.READ_ONLY && c.getMetaData().getDatabaseMajorVersion() < 23) {
      throw invalid(
          field(ctx) + ".options.fence",
          "read_only needs Oracle 23ai (ALTER USER ... READ ONLY); this is "
              + c.getMetaData().getDatabaseProductVersion().replaceAll("\\s+", " "),
          "use account_lock");
    }
  }

  /**
   * The application accounts as dictionary users; every problem that would make the fence miss or
   * hit the wrong account is refused here, before any change.
   */
  private static List<User> applicationUsers(Connection c, EngineContext ctx) throws SQLException {
    String f = field(ctx) + ".applicationAccounts";
    List<String> names = ctx.endpoint().withDefaults().applicationAccounts();
    if (names.isEmpty()) {
      throw invalid(
          f,
          "the Oracle fence locks the application's accounts and none are listed",
          "list the users the application connects as (locking every other account would lock"
              + " the database's own)");
    }
    SessionAccounts accounts = accounts(ctx);
    List<User> out = new ArrayList<>();
    for (String n : names) {
      String name = canonical(n);
      if (accounts.isMigration(name)) {
        throw invalid(
            f,
            n + " is the migration account",
            "the fence must leave the migration account writing");
      }
      List<User> found =
          query(
              c,
              "SELECT username, account_status, oracle_maintained FROM dba_users WHERE username = ?",
              List.of(name),
              col ->
                  new User(
                      col.string("username"),
                      col.string("account_status"),
                      "Y".equals(col.string("oracle_maintained"))));
      if (found.isEmpty()) {
        throw invalid(
            f, "no Oracle user " + name, "name users that exist (unquoted names are upper case)");
      }
      if (found.get(0).oracleMaintained()) {
        throw invalid(
            f,
            name + " is an Oracle-maintained account",
            "let the application connect with its own user");
      }
      out.add(found.get(0));
    }
    return out;
  }

  private static PreflightCheck readable(Connection c, String f, String view, String sql) {
    try {
      query(c, sql, List.of(), col -> col.number("n"));
      return new PreflightCheck(f + ": SELECT on " + view, true, "readable");
    } catch (SQLException e) {
      return new PreflightCheck(
          f + ": SELECT on " + view,
          false,
          e.getMessage().strip()
              + "; GRANT SELECT_CATALOG_ROLE (or SELECT ANY DICTIONARY) TO <admin>");
    }
  }

  private static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }

  /** A permission error is for a human to fix; anything else (network, ORA-00054) is retried. */
  private static RuntimeException failure(EngineContext ctx, String what, SQLException e) {
    String msg =
        field(ctx)
            + " ("
            + ctx.endpoint().url()
            + "): "
            + what
            + " failed: "
            + e.getMessage().strip();
    if (OracleSql.isPermissionError(e.getErrorCode())) {
      return ApplicationFailure.newNonRetryableFailure(
          msg
              + " (the admin account "
              + ctx.endpoint().user()
              + " lacks a privilege; run preflight)",
          FailureTypes.PERMISSION);
    }
    return new IllegalStateException(msg, e);
  }
}
