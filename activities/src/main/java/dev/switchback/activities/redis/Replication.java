package dev.switchback.activities.redis;

import java.util.Map;

/**
 * One server's {@code INFO replication}, the facts the provider reasons with.
 *
 * <p>Redis replication ids: a master streams under {@code master_replid}; its replicas adopt that
 * id. {@code REPLICAOF NO ONE} promotes a replica: it takes a new id and keeps the old one as
 * {@code master_replid2}, valid up to {@code second_repl_offset - 1}, which is how a later {@code
 * REPLICAOF} of the old master can continue with a partial resync (checked on Redis 7.0).
 */
record Replication(
    String role,
    String masterHost,
    int masterPort,
    boolean linkUp,
    boolean syncInProgress,
    long linkDownSeconds,
    String replid,
    String replid2,
    long offset,
    long secondOffset,
    long replicaOffset,
    long backlogFirstByte,
    boolean readOnly,
    Map<String, String> fields) {

  static final String NO_ID = "0000000000000000000000000000000000000000";

  static Replication of(RedisInfo info) {
    return new Replication(
        info.get("role", "?"),
        info.get("master_host"),
        (int) info.number("master_port", -1),
        "up".equals(info.get("master_link_status")),
        info.number("master_sync_in_progress", 0) == 1,
        info.number("master_link_down_since_seconds", -1),
        info.get("master_replid", NO_ID),
        info.get("master_replid2", NO_ID),
        info.number("master_repl_offset", 0),
        info.number("second_repl_offset", -1),
        info.number("slave_repl_offset", -1),
        info.number("repl_backlog_first_byte_offset", 0),
        info.number("slave_read_only", 0) == 1,
        info.all());
  }

  boolean master() {
    return "master".equals(role);
  }

  boolean replica() {
    return "slave".equals(role);
  }

  String masterAddress() {
    return masterHost + ":" + masterPort;
  }

  /** The offset up to which the old id ({@code replid2}) is valid, or -1 when there is none. */
  long lastOffsetOfReplid2() {
    return NO_ID.equals(replid2) || secondOffset < 0 ? -1 : secondOffset - 1;
  }

  /** Whether this server once carried {@code id}'s stream and was then promoted. */
  boolean promotedFrom(String id) {
    return master() && !NO_ID.equals(replid2) && replid2.equals(id);
  }

  /** The {@code slaveN} entry whose listening port is {@code port}, or empty. */
  Map<String, String> replicaEntry(int port) {
    for (int i = 0; ; i++) {
      String v = fields.get("slave" + i);
      if (v == null) {
        return Map.of();
      }
      Map<String, String> parts = new RedisInfo("x:" + v).parts("x");
      if (String.valueOf(port).equals(parts.get("port"))) {
        return parts;
      }
    }
  }
}
