package dev.switchback.activities.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A subscription as its subscriber sees it.
 *
 * @param slot the slot on the publisher, null after {@code SET (slot_name = NONE)}
 * @param tables tables in the subscription ({@code pg_subscription_rel})
 * @param ready those in state {@code r}: initial copy done and caught up with the apply worker
 * @param applyPid the apply worker's pid, null when none runs
 * @param workers apply and table sync workers running
 * @param errors apply and sync errors counted since the statistics were reset (PostgreSQL 15+)
 */
record Subscription(
    long oid,
    boolean enabled,
    String slot,
    int tables,
    int ready,
    Integer applyPid,
    int workers,
    long errors) {

  /** The publications the subscription {@code oid} reads. */
  static List<String> publications(Connection c, long oid) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT unnest(subpublications) FROM pg_subscription WHERE oid = ?")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /**
   * The connection string of the subscription {@code name} of the connection's database, or null
   * when there is none. It holds the publisher's password: read only the TLS keywords from it
   * ({@link PgTransport#tlsOf}), never show it. Readable by superusers only.
   */
  static String conninfo(Connection c, String name) throws SQLException {
    return Pg.text(
        c,
        "SELECT subconninfo FROM pg_subscription WHERE subname = ?"
            + " AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        name);
  }

  /** The subscription {@code name} of the connection's database, or null. */
  static Subscription find(Connection c, String name) throws SQLException {
    Subscription s;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.oid, s.subenabled, s.subslotname::text,"
                + " (SELECT count(*) FROM pg_subscription_rel r WHERE r.srsubid = s.oid),"
                + " (SELECT count(*) FROM pg_subscription_rel r"
                + "   WHERE r.srsubid = s.oid AND r.srsubstate = 'r'),"
                + " (SELECT w.pid FROM pg_stat_subscription w"
                + "   WHERE w.subid = s.oid AND w.relid IS NULL AND w.pid IS NOT NULL LIMIT 1),"
                + " (SELECT count(*) FROM pg_stat_subscription w"
                + "   WHERE w.subid = s.oid AND w.pid IS NOT NULL)"
                + " FROM pg_subscription s"
                + " WHERE s.subname = ?"
                + " AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int pid = rs.getInt(6);
        Integer applyPid = rs.wasNull() ? null : pid;
        s =
            new Subscription(
                rs.getLong(1),
                rs.getBoolean(2),
                rs.getString(3),
                rs.getInt(4),
                rs.getInt(5),
                applyPid,
                rs.getInt(7),
                0);
      }
    }
    if (c.getMetaData().getDatabaseMajorVersion() >= 15) {
      String errors =
          Pg.text(
              c,
              "SELECT apply_error_count + sync_error_count FROM pg_stat_subscription_stats"
                  + " WHERE subid = ?",
              s.oid());
      if (errors != null) {
        s =
            new Subscription(
                s.oid(),
                s.enabled(),
                s.slot(),
                s.tables(),
                s.ready(),
                s.applyPid(),
                s.workers(),
                Long.parseLong(errors));
      }
    }
    return s;
  }
}
