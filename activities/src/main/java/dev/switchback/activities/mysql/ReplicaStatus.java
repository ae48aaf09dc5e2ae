package dev.switchback.activities.mysql;

import dev.switchback.messages.values.InstanceState;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One replication channel (MySQL) or named connection (MariaDB) as SHOW REPLICA STATUS / SHOW ALL
 * SLAVES STATUS reports it, with the column names of every dialect read alike.
 *
 * @param sslAllowed whether the channel connects with TLS: {@code Yes}, {@code No}, {@code Ignored}
 * @param sslCaFile the CA file the replica checks the server's certificate against, "" for none
 * @param sslVerifyServerCert whether it checks the server's host name too ({@code Yes}/{@code No})
 */
record ReplicaStatus(
    String channel,
    String ioRunning,
    String sqlRunning,
    long ioErrno,
    String ioError,
    long sqlErrno,
    String sqlError,
    Long secondsBehind,
    String sourceHost,
    Long sourcePort,
    String sourceUser,
    long sourceServerId,
    boolean gtidPositioned,
    String appliedPosition,
    String sslAllowed,
    String sslCaFile,
    String sslVerifyServerCert) {

  static List<ReplicaStatus> all(Connection c, Dialect d) throws SQLException {
    return Sql.showRows(c, d.showAllReplicas()).stream().map(ReplicaStatus::from).toList();
  }

  /** The channel named {@code channel}; names compare without case, as both servers do. */
  static Optional<ReplicaStatus> find(Connection c, Dialect d, String channel) throws SQLException {
    return all(c, d).stream().filter(s -> channel.equalsIgnoreCase(s.channel())).findFirst();
  }

  static ReplicaStatus from(Map<String, Object> row) {
    Long errIo = Sql.number(row, "Last_IO_Errno");
    Long errSql = Sql.number(row, "Last_SQL_Errno");
    Long serverId = Sql.number(row, "Source_Server_Id", "Master_Server_Id");
    String usingGtid = Sql.text(row, "Using_Gtid");
    String auto = Sql.text(row, "Auto_Position");
    boolean gtid =
        usingGtid != null
            ? !"No".equalsIgnoreCase(usingGtid)
            : "1".equals(auto == null ? "" : auto);
    return new ReplicaStatus(
        Sql.text(row, "Connection_name", "Channel_Name", "Channel_name"),
        Sql.text(row, "Replica_IO_Running", "Slave_IO_Running"),
        Sql.text(row, "Replica_SQL_Running", "Slave_SQL_Running"),
        errIo == null ? 0 : errIo,
        Sql.text(row, "Last_IO_Error"),
        errSql == null ? 0 : errSql,
        Sql.text(row, "Last_SQL_Error"),
        Sql.number(row, "Seconds_Behind_Source", "Seconds_Behind_Master"),
        Sql.text(row, "Source_Host", "Master_Host"),
        Sql.number(row, "Source_Port", "Master_Port"),
        Sql.text(row, "Source_User", "Master_User"),
        serverId == null ? 0 : serverId,
        gtid,
        Sql.text(row, "Gtid_Slave_Pos", "Executed_Gtid_Set"),
        Sql.text(row, "Source_SSL_Allowed", "Master_SSL_Allowed"),
        Sql.text(row, "Source_SSL_CA_File", "Master_SSL_CA_File"),
        Sql.text(row, "Source_SSL_Verify_Server_Cert", "Master_SSL_Verify_Server_Cert"));
  }

  boolean ioYes() {
    return "Yes".equalsIgnoreCase(ioRunning);
  }

  boolean sqlYes() {
    return "Yes".equalsIgnoreCase(sqlRunning);
  }

  boolean ioStopped() {
    return "No".equalsIgnoreCase(ioRunning);
  }

  boolean sqlStopped() {
    return "No".equalsIgnoreCase(sqlRunning);
  }

  /** Whether the channel ever reached its source (a CHANGE without a START has not). */
  boolean everConnected() {
    return sourceServerId != 0;
  }

  /**
   * The seed's status words. An SQL-thread error, or an I/O thread that stopped on an error, is
   * FAILED. An I/O error while the thread still retries is CONNECTING: the network may come back. A
   * stale I/O error on a channel stopped by a pause does not hide PAUSED.
   */
  String status() {
    if (sqlErrno != 0) {
      return "FAILED";
    }
    if (ioErrno != 0 && ioStopped() && !sqlStopped()) {
      return "FAILED";
    }
    if (ioYes() && sqlYes()) {
      return "RUNNING";
    }
    if (ioStopped() && sqlStopped()) {
      return "PAUSED";
    }
    if (sqlYes() && !ioStopped()) {
      return ioErrno != 0 ? "CONNECTING" : "STARTING";
    }
    return "PARTIAL";
  }

  InstanceState toState(String where) {
    String status = status();
    StringBuilder detail = new StringBuilder();
    detail
        .append("replicates from ")
        .append(sourceHost)
        .append(':')
        .append(sourcePort)
        .append(" on ")
        .append(where)
        .append("; I/O thread ")
        .append(ioRunning)
        .append(", SQL thread ")
        .append(sqlRunning);
    if (sqlErrno != 0) {
      detail.append("; last SQL error ").append(sqlErrno).append(": ").append(sqlError);
    }
    if (ioErrno != 0) {
      detail.append("; last I/O error ").append(ioErrno).append(": ").append(ioError);
    }
    if (!gtidPositioned) {
      detail.append("; not positioned by GTID");
    }
    if (secondsBehind != null) {
      // Seconds_Behind_* is the replica clock minus the event time: 0 when idle even if the I/O
      // thread lags, so it is a hint; the drain is proved by GTID positions.
      detail.append("; Seconds_Behind (hint) ").append(secondsBehind);
    }
    return new InstanceState(
        channel,
        status,
        true,
        secondsBehind == null ? null : secondsBehind * 1000,
        null,
        appliedPosition == null ? null : appliedPosition.replace("\n", ""),
        detail.toString());
  }
}
