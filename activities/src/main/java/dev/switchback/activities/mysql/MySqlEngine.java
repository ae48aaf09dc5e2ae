package dev.switchback.activities.mysql;

import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MySQL and MariaDB endpoints: the session check (process list joined with InnoDB transactions),
 * the write fence (super_read_only on MySQL, read_only on MariaDB: both let replication threads
 * apply, so the reverse instance writes into a fenced old source), unfence, and revoking the
 * migration account's writes. The dialect comes from the server's version.
 */
public class MySqlEngine implements DatabaseEngine {
  private static final Logger log = LoggerFactory.getLogger(MySqlEngine.class);

  /** Statements that change data or schema, for a session caught mid-statement. */
  private static final Pattern WRITE_STATEMENT =
      Pattern.compile(
          "(?is)^\\s*(INSERT|UPDATE|DELETE|REPLACE|LOAD|ALTER|CREATE|DROP|TRUNCATE|RENAME)\\b.*");

  /** Commands of replication and server threads, never application sessions. */
  private static final Set<String> SYSTEM_COMMANDS =
      Set.of(
          "binlog dump",
          "binlog dump gtid",
          "daemon",
          "slave_io",
          "slave_sql",
          "slave_worker",
          "register slave");

  /** Seconds SET GLOBAL read_only may wait for running statements before writers are ended. */
  private static final int FENCE_LOCK_WAIT_SECONDS = 10;

  private final String name;

  public MySqlEngine() {
    this("mysql");
  }

  /**
   * @param name {@code mysql} or {@code mariadb}, the engine name plans use
   */
  public MySqlEngine(String name) {
    if (!Set.of("mysql", "mariadb").contains(name)) {
      throw new IllegalArgumentException("engine name must be mysql or mariadb, not " + name);
    }
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    try (Connection c = ctx.connection()) {
      Dialect d = Dialect.of(c);
      return sessions(c, d, ctx, "1".equals(Sql.one(c, "SELECT @@GLOBAL.performance_schema")));
    } catch (SQLException e) {
      throw Sql.failure("list the sessions on the " + ctx.side().word(), e);
    }
  }

  /**
   * The session check proper. Without performance_schema (MariaDB's default) connection attributes
   * are not visible, so Switchback's own sessions are recognised by the admin account instead of by
   * program_name.
   */
  Sessions sessions(Connection c, Dialect d, EngineContext ctx, boolean performanceSchema)
      throws SQLException {
    Map<String, Object> me =
        Sql.rows(c, "SELECT CONNECTION_ID() AS id, CONCAT(@@hostname, ':', @@port) AS server")
            .get(0);
    long self = Sql.number(me, "id");
    String server = Sql.text(me, "server");
    Map<Long, String> programs = new HashMap<>();
    if (performanceSchema) {
      for (Map<String, Object> r :
          Sql.rows(
              c,
              "SELECT PROCESSLIST_ID, ATTR_VALUE FROM performance_schema.session_connect_attrs"
                  + " WHERE ATTR_NAME = 'program_name'")) {
        programs.put(Sql.number(r, "PROCESSLIST_ID"), Sql.text(r, "ATTR_VALUE"));
      }
    }
    List<Map<String, Object>> rows;
    synchronized (TrxCache.lock(server)) {
      TrxCache.awaitFresh(server);
      try {
        rows =
            Sql.rows(
                c,
                "SELECT p.ID, p.USER, p.HOST, p.DB, p.COMMAND, p.TIME, p.STATE,"
                    + " LEFT(p.INFO, 200) AS INFO, t.trx_id, t.trx_state, t.trx_started,"
                    + " t.trx_rows_modified, t.trx_lock_structs"
                    + " FROM "
                    + d.processlist(performanceSchema)
                    + " p LEFT JOIN information_schema.INNODB_TRX t"
                    + " ON t.trx_mysql_thread_id = p.ID");
      } finally {
        TrxCache.read(server);
      }
    }
    String migration = ctx.migrationAccount();
    String admin = ctx.endpoint().user();
    List<String> appAccounts = applicationAccounts(ctx);
    List<SessionInfo> writers = new ArrayList<>();
    List<SessionInfo> others = new ArrayList<>();
    int excluded = 0;
    for (Map<String, Object> r : rows) {
      long id = Sql.number(r, "ID");
      String user = Sql.text(r, "USER");
      String command = Sql.text(r, "COMMAND");
      String program = programs.get(id);
      boolean ours =
          id == self
              || Connections.APPLICATION_NAME.equals(program)
              || (!performanceSchema && admin != null && admin.equals(user));
      boolean system =
          user == null
              || "system user".equalsIgnoreCase(user)
              || "event_scheduler".equalsIgnoreCase(user)
              || (command != null && SYSTEM_COMMANDS.contains(command.toLowerCase()));
      boolean notApplication =
          (migration != null && migration.equals(user))
              || (!appAccounts.isEmpty() && !appAccounts.contains(user));
      if (ours || system || notApplication) {
        excluded++;
        continue;
      }
      SessionInfo s = session(r, id, user, program);
      (s.writer() ? writers : others).add(s);
    }
    return new Sessions(writers, others, excluded);
  }

  private static SessionInfo session(Map<String, Object> r, long id, String user, String program) {
    Long rows = Sql.number(r, "trx_rows_modified");
    Long locks = Sql.number(r, "trx_lock_structs");
    String info = Sql.text(r, "INFO");
    String command = Sql.text(r, "COMMAND");
    boolean inTrx = Sql.text(r, "trx_state") != null;
    // An open transaction that changed rows or holds row/table locks (SELECT ... FOR UPDATE is
    // about to write); a consistent-read transaction holds neither. A statement caught while it
    // runs counts too, for DDL that takes no InnoDB locks.
    boolean writer =
        (inTrx && ((rows != null && rows > 0) || (locks != null && locks > 0)))
            || ("Query".equalsIgnoreCase(command)
                && info != null
                && WRITE_STATEMENT.matcher(info).matches());
    StringBuilder detail = new StringBuilder();
    if (inTrx) {
      detail
          .append("transaction ")
          .append(Sql.text(r, "trx_state"))
          .append(" since ")
          .append(Sql.text(r, "trx_started"))
          .append(", ")
          .append(rows == null ? 0 : rows)
          .append(" rows modified, ")
          .append(locks == null ? 0 : locks)
          .append(" lock structs");
    } else {
      detail.append("no transaction");
    }
    if (Sql.text(r, "DB") != null) {
      detail.append("; db ").append(Sql.text(r, "DB"));
    }
    if (info != null) {
      detail.append("; running: ").append(info.replaceAll("\\s+", " "));
    }
    String state =
        command + (Sql.text(r, "STATE") == null ? "" : " (" + Sql.text(r, "STATE") + ")");
    return new SessionInfo(
        Long.toString(id), user, Sql.text(r, "HOST"), program, state, writer, detail.toString());
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    try (Connection c = ctx.connection()) {
      Dialect d = Dialect.of(c);
      String variable = d.fenceVariable();
      boolean already = "1".equals(Sql.one(c, "SELECT @@GLOBAL." + variable));
      int killed = 0;
      if (!already) {
        try {
          setFence(c, variable);
        } catch (SQLException e) {
          if (e.getErrorCode() != 1205) {
            throw e;
          }
          // A long statement holds the lock the fence needs: end the writers, then try again.
          killed += killWriters(c, d, ctx);
          setFence(c, variable);
        }
      }
      // The fence stops new statements and makes open write transactions fail at COMMIT; ending
      // those sessions now rolls them back at once, so the session check need not wait on them.
      killed += killWriters(c, d, ctx);
      String method =
          d.mariadb()
              ? "read_only=ON (replication threads and READ_ONLY ADMIN holders write through) +"
                  + " KILL of open write sessions"
              : "super_read_only=ON (replication applier threads write through) + KILL of open"
                  + " write sessions";
      log.info("fenced the {}: {}, {} sessions ended", ctx.side().word(), method, killed);
      return new FenceResult(
          ctx.side(),
          method,
          killed,
          (already ? variable + " was already ON" : variable + " set ON")
              + "; "
              + killed
              + " application session(s) with open writes ended");
    } catch (SQLException e) {
      throw Sql.failure("fence writes on the " + ctx.side().word(), e);
    }
  }

  private static void setFence(Connection c, String variable) throws SQLException {
    String previous = Sql.one(c, "SELECT @@SESSION.lock_wait_timeout");
    Sql.exec(c, "SET SESSION lock_wait_timeout = " + FENCE_LOCK_WAIT_SECONDS);
    try {
      Sql.exec(c, "SET GLOBAL " + variable + " = ON");
    } finally {
      Sql.exec(c, "SET SESSION lock_wait_timeout = " + Long.parseLong(previous));
    }
  }

  private int killWriters(Connection c, Dialect d, EngineContext ctx) throws SQLException {
    int killed = 0;
    Sessions s = sessions(c, d, ctx, "1".equals(Sql.one(c, "SELECT @@GLOBAL.performance_schema")));
    for (SessionInfo w : s.writers()) {
      try {
        Sql.exec(c, "KILL CONNECTION " + Long.parseLong(w.id()));
        killed++;
        log.info(
            "ended application session {} ({}) on the {}: {}",
            w.id(),
            w.user(),
            ctx.side().word(),
            w.detail());
      } catch (SQLException e) {
        if (e.getErrorCode() != 1094) { // unknown thread: it ended by itself
          throw e;
        }
      }
    }
    return killed;
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    try (Connection c = ctx.connection()) {
      Dialect d = Dialect.of(c);
      boolean was = "1".equals(Sql.one(c, "SELECT @@GLOBAL.read_only"));
      // read_only=OFF also turns super_read_only off on MySQL.
      if (!d.mariadb()) {
        Sql.exec(c, "SET GLOBAL super_read_only = OFF");
      }
      Sql.exec(c, "SET GLOBAL read_only = OFF");
      log.info("lifted the fence on the {}", ctx.side().word());
      return new FenceResult(
          ctx.side(), d.fenceVariable() + "=OFF", 0, was ? "fence lifted" : "no fence was up");
    } catch (SQLException e) {
      throw Sql.failure("lift the fence on the " + ctx.side().word(), e);
    }
  }

  /** See {@link MySqlRevoke}: revoke, end the account's sessions, then prove nothing is left. */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    if (account == null || account.isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "migrationAccount.user is missing: name the account whose writes to revoke",
          dev.switchback.activities.FailureTypes.INVALID_PLAN);
    }
    try (Connection c = ctx.connection()) {
      String done = MySqlRevoke.revoke(c, ctx.side().word(), account);
      log.info("revoked the writes of '{}' on the {}: {}", account, ctx.side().word(), done);
      return done;
    } catch (SQLException e) {
      throw Sql.failure("revoke the writes of '" + account + "' on the " + ctx.side().word(), e);
    }
  }

  @Override
  public Transport transport(String field, EndpointSpec endpoint) {
    return MySqlTransport.url(field, endpoint.url());
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    String side = ctx.side().word();
    List<PreflightCheck> out = new ArrayList<>();
    try (Connection c = ctx.connection()) {
      Dialect d = Dialect.of(c);
      out.add(new PreflightCheck("mysql." + side + ".reachable", true, d.toString()));
      Set<String> mine = Grants.mine(c);
      privilege(out, side, "PROCESS", Set.of("PROCESS"), mine, "list every session");
      privilege(out, side, "fence", d.fencePrivileges(), mine, "set " + d.fenceVariable());
      privilege(out, side, "kill", d.killPrivileges(), mine, "end application sessions");
      exemptAccounts(c, d, ctx, out);
      boolean fenced = "1".equals(Sql.one(c, "SELECT @@GLOBAL.read_only"));
      if (ctx.side() == Side.DESTINATION) {
        out.add(
            new PreflightCheck(
                "mysql.destination.writable",
                !fenced,
                fenced
                    ? "the destination is read_only: the application could not write after the"
                        + " switch; SET GLOBAL read_only=OFF there (after the forward instance"
                        + " no longer needs it)"
                    : "the destination accepts writes"));
      } else {
        out.add(
            new PreflightCheck(
                "mysql.source.unfenced",
                !fenced,
                fenced
                    ? "the source is already read_only (a fence left from an earlier run?):"
                        + " the application cannot be writing there; check and SET GLOBAL"
                        + " read_only=OFF"
                    : "the source accepts writes"));
      }
    } catch (SQLException e) {
      out.add(new PreflightCheck("mysql." + side + ".reachable", false, e.getMessage()));
    }
    return out;
  }

  private static void privilege(
      List<PreflightCheck> out,
      String side,
      String what,
      Set<String> anyOf,
      Set<String> mine,
      String purpose) {
    boolean ok = anyOf.stream().anyMatch(mine::contains);
    out.add(
        new PreflightCheck(
            "mysql." + side + ".privilege." + what,
            ok,
            ok
                ? "the admin account may " + purpose
                : "the admin account needs one of " + anyOf + " to " + purpose));
  }

  /**
   * The fence stops only accounts without the exempt privilege: named application accounts must
   * lack it; without names, the accounts that would write through are listed.
   */
  private static void exemptAccounts(
      Connection c, Dialect d, EngineContext ctx, List<PreflightCheck> out) throws SQLException {
    String side = ctx.side().word();
    Set<String> exempt = d.fenceExemptPrivileges();
    if (exempt.isEmpty()) {
      out.add(
          new PreflightCheck(
              "mysql." + side + ".fence.exempt",
              true,
              "super_read_only stops every client account, SUPER holders included"));
      return;
    }
    Map<String, Set<String>> all = Grants.global(c);
    List<String> apps = applicationAccounts(ctx);
    if (!apps.isEmpty()) {
      for (String app : apps) {
        Set<String> grantees = new TreeSet<>();
        Set<String> through = new LinkedHashSet<>();
        all.forEach(
            (grantee, privs) -> {
              if (app.equals(Grants.userOf(grantee))) {
                grantees.add(grantee);
                privs.stream()
                    .filter(exempt::contains)
                    .forEach(p -> through.add(grantee + " " + p));
              }
            });
        boolean ok = !grantees.isEmpty() && through.isEmpty();
        out.add(
            new PreflightCheck(
                "mysql." + side + ".fence.applicationAccount." + app,
                ok,
                grantees.isEmpty()
                    ? "application account '" + app + "' not found on the " + side
                    : ok
                        ? "'" + app + "' is stopped by read_only"
                        : "'"
                            + app
                            + "' writes through read_only ("
                            + String.join(", ", through)
                            + "): REVOKE "
                            + String.join(", ", exempt)
                            + " ON *.* FROM it, or the fence will not stop it"));
      }
      return;
    }
    String admin = ctx.endpoint().user();
    String migration = ctx.migrationAccount();
    List<String> through =
        all.entrySet().stream()
            .filter(e -> e.getValue().stream().anyMatch(exempt::contains))
            .map(Map.Entry::getKey)
            .filter(g -> !Grants.userOf(g).equals(admin) && !Grants.userOf(g).equals(migration))
            .filter(g -> !Grants.userOf(g).equals("mariadb.sys"))
            .collect(Collectors.toList());
    out.add(
        new PreflightCheck(
            "mysql." + side + ".fence.exempt",
            true,
            through.isEmpty()
                ? "no account but the admin writes through read_only"
                : "these accounts write through read_only ("
                    + String.join(", ", exempt)
                    + "): "
                    + through
                    + "; name the application's accounts in "
                    + side
                    + ".applicationAccounts to have them checked"));
  }

  private static List<String> applicationAccounts(EngineContext ctx) {
    List<String> a = ctx.endpoint().applicationAccounts();
    return a == null ? List.of() : a;
  }

  /**
   * InnoDB serves INNODB_TRX from a cache it refreshes only when the table was not read for 0.1 s
   * (trx_i_s cache, MySQL and MariaDB alike), and every read restarts that clock: listings less
   * than 0.1 s apart, such as the fence's followed by the session check, or a poll every 50 ms,
   * would keep seeing the transactions of the first one and miss a writer that began since.
   * Measured on MariaDB 10.11: a transaction opened during 2 s of reads every 20 ms never showed.
   * So this worker spaces its reads of one server by more than that (a tool outside Switchback
   * polling INNODB_TRX faster than every 0.1 s would defeat it; none should).
   */
  static final class TrxCache {
    static final long SPACING_MS = 120;
    private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
    private static final Map<String, Long> LAST_READ = new ConcurrentHashMap<>();

    private TrxCache() {}

    static Object lock(String server) {
      return LOCKS.computeIfAbsent(server, k -> new Object());
    }

    /** Waits until this worker's last read of {@code server} is more than the spacing ago. */
    static void awaitFresh(String server) {
      Long last = LAST_READ.get(server);
      if (last == null) {
        return;
      }
      long waitMs = SPACING_MS - (System.nanoTime() - last) / 1_000_000;
      if (waitMs > 0) {
        try {
          Thread.sleep(waitMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while listing sessions", e);
        }
      }
    }

    static void read(String server) {
      LAST_READ.put(server, System.nanoTime());
    }
  }
}
