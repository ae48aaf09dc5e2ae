package dev.switchback.activities.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A replication slot on the publisher, with the walsender streaming from it when there is one.
 *
 * @param confirmed {@code confirmed_flush_lsn}: everything before it is applied and flushed on the
 *     subscriber
 * @param lagBytes WAL written on the publisher after {@code confirmed}
 * @param replayLagMs the walsender's {@code replay_lag}, null when not measured
 * @param replyAgeMs time since the subscriber last reported its position, null without walsender
 * @param walsenderState {@code startup}, {@code catchup}, {@code streaming}; null without walsender
 */
record Slot(
    String name,
    String plugin,
    String database,
    Integer activePid,
    String confirmed,
    Long lagBytes,
    Long replayLagMs,
    Long replyAgeMs,
    String walsenderState) {

  static Slot find(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT sl.slot_name::text, sl.plugin::text, sl.database::text, sl.active_pid,"
                + " sl.confirmed_flush_lsn::text,"
                + " pg_wal_lsn_diff(pg_current_wal_lsn(), sl.confirmed_flush_lsn)::bigint,"
                + " (extract(epoch FROM w.replay_lag) * 1000)::bigint, w.state,"
                + " (extract(epoch FROM now() - w.reply_time) * 1000)::bigint"
                + " FROM pg_replication_slots sl"
                + " LEFT JOIN pg_stat_replication w ON w.pid = sl.active_pid"
                + " WHERE sl.slot_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int pid = rs.getInt(4);
        Integer activePid = rs.wasNull() ? null : pid;
        String confirmed = rs.getString(5);
        long lag = rs.getLong(6);
        Long lagBytes = rs.wasNull() ? null : lag;
        long replay = rs.getLong(7);
        Long replayLag = rs.wasNull() ? null : replay;
        long age = rs.getLong(9);
        Long replyAge = rs.wasNull() ? null : age;
        return new Slot(
            rs.getString(1),
            rs.getString(2),
            rs.getString(3),
            activePid,
            confirmed,
            lagBytes,
            replayLag,
            replyAge,
            rs.getString(8));
      }
    }
  }
}
