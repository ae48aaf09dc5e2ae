package dev.switchback.activities.sqlserver;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The session check's query and how its rows become sessions. */
final class SqlServerSessions {

  /**
   * ENGINES.md's DMV query, for the connection's database. One session can give several rows (MARS
   * requests, one row per transaction), so rows are merged by session_id. A session counts when it
   * is in this database or holds a transaction in it. The MARS child connections ({@code
   * parent_connection_id} set) are left out of the address join so they do not repeat a session.
   * Needs VIEW SERVER STATE (2022: VIEW SERVER PERFORMANCE STATE is enough).
   */
  static final String QUERY =
      """
      SELECT s.session_id, s.login_name, s.host_name, s.program_name, c.client_net_address,
             s.status, s.open_transaction_count, r.command, LEFT(t.text, 200) AS text,
             dt.database_transaction_log_bytes_used, dt.database_transaction_begin_lsn
      FROM sys.dm_exec_sessions s
      LEFT JOIN sys.dm_exec_connections c
             ON c.session_id = s.session_id AND c.parent_connection_id IS NULL
      LEFT JOIN sys.dm_exec_requests r ON r.session_id = s.session_id
      OUTER APPLY sys.dm_exec_sql_text(r.sql_handle) t
      LEFT JOIN sys.dm_tran_session_transactions st ON st.session_id = s.session_id
      LEFT JOIN sys.dm_tran_database_transactions dt
             ON dt.transaction_id = st.transaction_id AND dt.database_id = DB_ID()
      WHERE s.is_user_process = 1 AND s.session_id <> @@SPID
        AND (s.database_id = DB_ID() OR dt.database_id IS NOT NULL)
      ORDER BY s.session_id
      """;

  /** One row of {@link #QUERY}. */
  record Row(
      long sessionId,
      String login,
      String host,
      String program,
      String clientAddress,
      String status,
      long openTransactions,
      String command,
      String text,
      Long logBytesUsed,
      String beginLsn) {

    static Row of(Columns c) {
      Long open = c.number("open_transaction_count");
      return new Row(
          c.number("session_id"),
          c.string("login_name"),
          c.string("host_name"),
          c.string("program_name"),
          c.string("client_net_address"),
          c.string("status"),
          open == null ? 0 : open,
          c.string("command"),
          c.string("text"),
          c.number("database_transaction_log_bytes_used"),
          // numeric(25,0): only whether it is null matters, so never convert it.
          c.string("database_transaction_begin_lsn"));
    }

    /**
     * A transaction that has written to this database: it used log space, or it has a begin LSN
     * (set at its first log record; a read-only transaction has none).
     */
    boolean wrote() {
      return (logBytesUsed != null && logBytesUsed > 0) || beginLsn != null;
    }
  }

  private SqlServerSessions() {}

  /** Sorts the rows of {@link #QUERY} into application writers, other sessions and excluded. */
  static Sessions classify(List<Row> rows, SessionAccounts accounts) {
    Map<Long, List<Row>> bySession = new LinkedHashMap<>();
    for (Row r : rows) {
      bySession.computeIfAbsent(r.sessionId(), k -> new ArrayList<>()).add(r);
    }
    List<SessionInfo> writers = new ArrayList<>();
    List<SessionInfo> others = new ArrayList<>();
    int excluded = 0;
    for (List<Row> session : bySession.values()) {
      Row first = session.get(0);
      if (isReplication(session)
          || accounts.kindOf(first.login(), first.program()) != SessionAccounts.Kind.APPLICATION) {
        excluded++;
        continue;
      }
      SessionInfo info = info(session);
      (info.writer() ? writers : others).add(info);
    }
    return new Sessions(writers, others, excluded);
  }

  private static SessionInfo info(List<Row> session) {
    Row first = session.get(0);
    boolean writer = false;
    long logBytes = 0;
    String command = null;
    String text = null;
    for (Row r : session) {
      writer |= r.wrote();
      logBytes += r.logBytesUsed() == null ? 0 : Math.max(0, r.logBytesUsed());
      command = command == null ? r.command() : command;
      text = text == null ? r.text() : text;
    }
    StringBuilder detail = new StringBuilder();
    if (writer) {
      detail.append("transaction has written to this database (log bytes ").append(logBytes);
      detail.append(")");
    } else if (first.openTransactions() > 0) {
      detail.append("open transaction without writes here");
    } else {
      detail.append("no open transaction");
    }
    if (command != null) {
      detail.append("; running ").append(command);
    }
    if (text != null && !text.isBlank()) {
      detail.append(": ").append(text.replaceAll("\\s+", " "));
    }
    String client = first.clientAddress() != null ? first.clientAddress() : first.host();
    String state =
        first.status()
            + (first.openTransactions() > 0
                ? ", " + first.openTransactions() + " open transaction(s)"
                : "");
    return new SessionInfo(
        Long.toString(first.sessionId()),
        first.login(),
        client,
        first.program(),
        state,
        writer,
        detail.toString());
  }

  /**
   * Replication and CDC capture, which are the migration's own machinery: replication agents name
   * themselves {@code Repl-...}; the CDC capture job is an Agent job step running {@code
   * sp_MScdc_capture_job} / {@code sp_cdc_scan}. A heuristic on names (unverified on a live server
   * here); with {@code applicationAccounts} listed, these run under other logins and are left out
   * anyway.
   */
  static boolean isReplication(List<Row> session) {
    for (Row r : session) {
      String program = r.program() == null ? "" : r.program();
      String text = r.text() == null ? "" : r.text().toLowerCase(Locale.ROOT);
      if (program.startsWith("Repl-")) {
        return true;
      }
      if (program.startsWith("SQLAgent - ")
          && (text.contains("sp_mscdc_capture_job") || text.contains("sp_cdc_scan"))) {
        return true;
      }
    }
    return false;
  }

  /** KILLs every user session of {@code logins} but this one; returns the ids killed. */
  static List<Long> kill(Connection c, List<String> logins) throws SQLException {
    if (logins.isEmpty()) {
      return List.of();
    }
    List<Long> ids =
        query(
            c,
            "SELECT session_id FROM sys.dm_exec_sessions WHERE is_user_process = 1"
                + " AND session_id <> @@SPID AND login_name IN ("
                + String.join(", ", Collections.nCopies(logins.size(), "?"))
                + ")",
            List.copyOf(logins),
            col -> col.number("session_id"));
    List<Long> killed = new ArrayList<>();
    for (long id : ids) {
      try {
        exec(c, "KILL " + id);
        killed.add(id);
      } catch (SQLException e) {
        if (e.getErrorCode() != SqlServerSql.NOT_AN_ACTIVE_PROCESS) {
          throw e;
        }
      }
    }
    return killed;
  }

  /** The user sessions of {@code login} now, by id. */
  static List<Long> of(Connection c, String login) throws SQLException {
    return query(
        c,
        "SELECT session_id FROM sys.dm_exec_sessions WHERE is_user_process = 1"
            + " AND session_id <> @@SPID AND login_name = ?",
        List.of(login),
        col -> col.number("session_id"));
  }
}
