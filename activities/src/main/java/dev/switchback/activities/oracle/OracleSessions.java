package dev.switchback.activities.oracle;

import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.support.Columns;
import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.SessionInfo;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The session check's query and how its rows become sessions. */
final class OracleSessions {

  /**
   * ENGINES.md's query over the gv$ views, so that on RAC the sessions of every instance are seen
   * (and killed with {@code @inst_id}); on a single instance gv$ and v$ agree. This session is left
   * out by instance and SID. Needs SELECT on gv$session and gv$transaction (SELECT_CATALOG_ROLE or
   * SELECT ANY DICTIONARY).
   */
  static final String QUERY =
      """
      SELECT s.inst_id, s.sid, s.serial# AS serial_no, s.username, s.osuser, s.machine,
             s.program, s.module, s.status, s.sql_id,
             t.status AS txn_status, t.used_urec, t.start_time AS txn_start
      FROM gv$session s
      LEFT JOIN gv$transaction t ON t.inst_id = s.inst_id AND t.addr = s.taddr
      WHERE s.type = 'USER'
        AND NOT (s.inst_id = TO_NUMBER(SYS_CONTEXT('USERENV', 'INSTANCE'))
                 AND s.sid = TO_NUMBER(SYS_CONTEXT('USERENV', 'SID')))
      ORDER BY s.inst_id, s.sid
      """;

  /** One row of {@link #QUERY}. */
  record Row(
      long instance,
      long sid,
      long serial,
      String username,
      String osUser,
      String machine,
      String program,
      String module,
      String status,
      String sqlId,
      String transactionStatus,
      Long undoRecords,
      String transactionStart) {

    static Row of(Columns c) {
      return new Row(
          c.number("inst_id"),
          c.number("sid"),
          c.number("serial_no"),
          c.string("username"),
          c.string("osuser"),
          c.string("machine"),
          c.string("program"),
          c.string("module"),
          c.string("status"),
          c.string("sql_id"),
          c.string("txn_status"),
          c.number("used_urec"),
          c.string("txn_start"));
    }

    /**
     * Oracle starts a transaction at the first DML (or SELECT ... FOR UPDATE), so a row in
     * v$transaction means the session holds changes or row locks: a writer, whatever its status.
     */
    boolean writer() {
      return transactionStatus != null;
    }

    /** What ALTER SYSTEM KILL SESSION takes. */
    String killId() {
      return sid + "," + serial + ",@" + instance;
    }
  }

  private OracleSessions() {}

  static Sessions classify(List<Row> rows, SessionAccounts accounts) {
    List<SessionInfo> writers = new ArrayList<>();
    List<SessionInfo> others = new ArrayList<>();
    int excluded = 0;
    for (Row r : rows) {
      // A USER-type session without a user name is an internal one (e.g. a job slave between
      // jobs); it is not the application's.
      if (r.username() == null
          || accounts.kindOf(r.username(), r.program()) != SessionAccounts.Kind.APPLICATION) {
        excluded++;
        continue;
      }
      StringBuilder detail = new StringBuilder();
      if (r.writer()) {
        detail
            .append("transaction ")
            .append(r.transactionStatus())
            .append(" since ")
            .append(r.transactionStart())
            .append(", undo records ")
            .append(r.undoRecords());
      } else {
        detail.append("no transaction");
      }
      if (r.module() != null) {
        detail.append("; module ").append(r.module());
      }
      if (r.sqlId() != null) {
        detail.append("; sql_id ").append(r.sqlId());
      }
      SessionInfo info =
          new SessionInfo(
              r.killId(),
              r.username(),
              (r.osUser() == null ? "" : r.osUser() + "@") + r.machine(),
              r.program(),
              r.status(),
              r.writer(),
              detail.toString());
      (r.writer() ? writers : others).add(info);
    }
    return new Sessions(writers, others, excluded);
  }

  /**
   * Kills every session of {@code users}, on every instance; returns the ids killed ({@code
   * sid,serial#,@inst_id}).
   */
  static List<String> kill(Connection c, List<String> users) throws SQLException {
    List<String> ids = of(c, users);
    List<String> killed = new ArrayList<>();
    for (String id : ids) {
      if (!id.matches("\\d+,\\d+,@\\d+")) {
        throw new IllegalStateException("unexpected session id from gv$session: " + id);
      }
      try {
        exec(c, "ALTER SYSTEM KILL SESSION '" + id + "' IMMEDIATE");
        killed.add(id);
      } catch (SQLException e) {
        if (e.getErrorCode() != OracleSql.NO_SUCH_SESSION
            && e.getErrorCode() != OracleSql.MARKED_FOR_KILL) {
          throw e;
        }
      }
    }
    return killed;
  }

  /**
   * The live sessions of {@code users} on every instance but this session, as {@code
   * sid,serial#,@inst_id}; a session marked KILLED runs nothing more and is not counted.
   */
  static List<String> of(Connection c, List<String> users) throws SQLException {
    return query(
        c,
        "SELECT sid || ',' || serial# || ',@' || inst_id AS kill_id FROM gv$session"
            + " WHERE type = 'USER' AND status <> 'KILLED' AND username IN ("
            + String.join(", ", Collections.nCopies(users.size(), "?"))
            + ") AND NOT (inst_id = TO_NUMBER(SYS_CONTEXT('USERENV', 'INSTANCE'))"
            + " AND sid = TO_NUMBER(SYS_CONTEXT('USERENV', 'SID')))",
        users,
        col -> col.string("kill_id"));
  }
}
