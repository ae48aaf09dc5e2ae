package dev.switchback.activities.spi;

import dev.switchback.messages.values.SessionInfo;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A contract session over one JDBC connection, for SQL engines. It is recognised in the session
 * list by the client name it connected with (application_name, program_name, v$session.program),
 * which the fixture makes unique per session.
 */
public final class JdbcEngineSession implements DatabaseEngineContract.EngineSession {
  private final Connection connection;
  private final String clientName;
  private final String writeSql;
  private final String readSql;

  /**
   * @param connection a connection of its own, opened with {@code clientName} as its client name
   * @param writeSql a statement that writes a new row each time (so sessions never wait on each
   *     other's row locks)
   * @param readSql a query that reads without locking
   */
  public JdbcEngineSession(
      Connection connection, String clientName, String writeSql, String readSql) {
    this.connection = connection;
    this.clientName = clientName;
    this.writeSql = writeSql;
    this.readSql = readSql;
  }

  @Override
  public void read() throws SQLException {
    connection.setAutoCommit(true);
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(readSql)) {
      while (rs.next()) {
        rs.getObject(1);
      }
    }
  }

  @Override
  public void write() throws SQLException {
    connection.setAutoCommit(true);
    try (Statement s = connection.createStatement()) {
      s.executeUpdate(writeSql);
    }
  }

  @Override
  public void beginWriteAndHold() throws SQLException {
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.executeUpdate(writeSql);
    }
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
    connection.setAutoCommit(true);
  }

  @Override
  public boolean reportedAs(SessionInfo session) {
    return clientName.equals(session.application());
  }

  public String clientName() {
    return clientName;
  }

  @Override
  public void close() {
    try {
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException ignored) {
      // The fence may have ended the session; there is nothing to roll back then.
    }
    try {
      connection.close();
    } catch (SQLException ignored) {
      // Same: closing a killed session may fail, and it is closed either way.
    }
  }
}
