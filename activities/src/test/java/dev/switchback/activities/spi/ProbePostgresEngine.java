package dev.switchback.activities.spi;

import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately small engine on the PostgreSQL server this machine runs, used only to prove that
 * {@link DatabaseEngineContract} runs and passes against a real server, and fails for engines that
 * break it. It is not the project's PostgreSQL engine (that lives in {@code .postgres}); once that
 * engine has its own contract subclass this probe can go.
 *
 * <p>Fence: REVOKE INSERT, UPDATE, DELETE on the schema's tables from the application accounts and
 * terminate their backends (ENGINES.md's second PostgreSQL fence); writer = {@code backend_xid}.
 */
class ProbePostgresEngine implements DatabaseEngine {

  @Override
  public String name() {
    return "probe-postgres";
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    SessionAccounts accounts = accounts(ctx);
    try (Connection c = connect(ctx)) {
      List<SessionInfo> writers = new ArrayList<>();
      List<SessionInfo> others = new ArrayList<>();
      int excluded = 0;
      for (SessionInfo s :
          query(
              c,
              "SELECT pid, usename, client_addr, application_name, state, backend_xid"
                  + " FROM pg_stat_activity WHERE backend_type = 'client backend'"
                  + " AND datname = current_database() AND pid <> pg_backend_pid()",
              List.of(),
              col ->
                  new SessionInfo(
                      col.string("pid"),
                      col.string("usename"),
                      col.string("client_addr"),
                      col.string("application_name"),
                      col.string("state"),
                      col.get("backend_xid") != null,
                      ""))) {
        if (accounts.kindOf(s.user(), s.application()) != SessionAccounts.Kind.APPLICATION) {
          excluded++;
        } else {
          (s.writer() ? writers : others).add(s);
        }
      }
      return new Sessions(writers, others, excluded);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    List<String> apps = ctx.endpoint().applicationAccounts();
    try (Connection c = connect(ctx)) {
      for (String a : apps) {
        exec(c, "REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public FROM " + a);
      }
      int killed =
          query(
                  c,
                  "SELECT pg_terminate_backend(pid, 5000) AS t FROM pg_stat_activity"
                      + " WHERE datname = current_database() AND usename = ANY (string_to_array(?, ','))",
                  List.of(String.join(",", apps)),
                  col -> col.get("t"))
              .size();
      return new FenceResult(ctx.side(), "revoke + terminate", killed, "probe");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    try (Connection c = connect(ctx)) {
      for (String a : ctx.endpoint().applicationAccounts()) {
        exec(c, "GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + a);
      }
      return new FenceResult(ctx.side(), "grant", 0, "probe");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    throw new UnsupportedOperationException("the probe engine only serves the session contract");
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    return List.of();
  }

  /** Whose sessions count; a broken probe overrides it. */
  protected SessionAccounts accounts(EngineContext ctx) {
    return SessionAccounts.of(ctx);
  }

  private static Connection connect(EngineContext ctx) throws SQLException {
    return ctx.connections().connection(ctx.side().word(), ctx.endpoint());
  }
}
