package dev.switchback.activities.mongodb;

import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.SessionAccounts;
import dev.switchback.messages.values.SessionInfo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.Binary;

/** The session check's {@code $currentOp} stage and how its entries become sessions. */
final class MongoSessions {

  /**
   * ENGINES.md's stage: every user's operations, idle connections (so an idle reader is listed) and
   * idle sessions holding a transaction. Run on {@code admin}; needs the {@code inprog} privilege.
   * On mongos it reports the shards' operations (localOps false).
   */
  static Document stage() {
    return new Document(
        "$currentOp",
        new Document("allUsers", true)
            .append("idleConnections", true)
            .append("idleSessions", true));
  }

  /** {@code op} values of a write (a delete shows as {@code remove}). */
  private static final Set<String> WRITE_OPS = Set.of("insert", "update", "remove");

  /** First keys of write commands when {@code op} is {@code command} (findAndModify, bulkWrite). */
  private static final Set<String> WRITE_COMMANDS =
      Set.of("insert", "update", "delete", "findAndModify", "findandmodify", "bulkWrite");

  /** What a writer holds, to end it: its logical session, or its operation id. */
  record KillTarget(Document lsid, Object opid) {}

  private MongoSessions() {}

  static Sessions classify(List<Document> ops, MongoAccounts accounts) {
    Map<String, String> byUid = accounts.byUid();
    List<SessionInfo> writers = new ArrayList<>();
    List<SessionInfo> others = new ArrayList<>();
    int excluded = 0;
    for (Document op : ops) {
      if (!isApplication(op, accounts, byUid)) {
        excluded++;
        continue;
      }
      SessionInfo info = info(op, byUid);
      (info.writer() ? writers : others).add(info);
    }
    return new Sessions(writers, others, excluded);
  }

  /** The application writers' sessions (or operations without one), for the fence to end. */
  static List<KillTarget> killTargets(List<Document> ops, MongoAccounts accounts) {
    Map<String, String> byUid = accounts.byUid();
    List<KillTarget> out = new ArrayList<>();
    for (Document op : ops) {
      if (isApplication(op, accounts, byUid) && isWriter(op)) {
        Document lsid = op.get("lsid", Document.class);
        if (lsid != null && lsid.get("id") != null && lsid.get("uid") != null) {
          out.add(
              new KillTarget(
                  new Document("id", lsid.get("id")).append("uid", lsid.get("uid")), null));
        } else if (op.get("opid") != null) {
          out.add(new KillTarget(null, op.get("opid")));
        }
      }
    }
    return out;
  }

  /**
   * The entries of {@code fullName} ({@code name@db}): its operations, connections and idle
   * sessions, Switchback's own excepted.
   */
  static List<Document> ofUser(List<Document> ops, String fullName) {
    Map<String, String> byUid = Map.of(MongoAccounts.uidOf(fullName), fullName);
    List<Document> out = new ArrayList<>();
    for (Document op : ops) {
      if (fullName.equals(user(op, byUid))
          && !Connections.APPLICATION_NAME.equals(op.getString("appName"))) {
        out.add(op);
      }
    }
    return out;
  }

  /** A short description of an entry, for a message: its id and what it does. */
  static String describe(Document op) {
    SessionInfo i = info(op, Map.of());
    return i.id() + " (" + i.state() + ")";
  }

  private static boolean isApplication(
      Document op, MongoAccounts accounts, Map<String, String> byUid) {
    String type = op.getString("type");
    // Server threads (TTL monitor, replication appliers, ...) report no client.
    if (!"idleSession".equals(type) && op.get("client") == null && op.get("lsid") == null) {
      return false;
    }
    String user = user(op, byUid);
    // A connection nobody is authenticated on, doing no write: a driver's monitoring socket
    // (they do not authenticate) or a client between handshake and login. Under authorization it
    // cannot write, and it is nobody's session to wait for. Caveat (server source, unverified):
    // after 7.x, $currentOp reports effectiveUsers only for a connection running an operation, so
    // there an idle application connection is left out here too; only writers matter to step 4.
    if (user == null && !isWriter(op)) {
      return false;
    }
    return accounts.kindOf(user, op.getString("appName")) == SessionAccounts.Kind.APPLICATION;
  }

  /**
   * A writer: an operation that is writing now, or any session with an open multi-document
   * transaction (active or idle). A transaction that has only read is counted too: {@code
   * $currentOp} does not say whether it wrote, and counting it errs on the side of waiting.
   */
  static boolean isWriter(Document op) {
    if (op.get("transaction") != null) {
      return true;
    }
    if (!Boolean.TRUE.equals(op.getBoolean("active"))) {
      return false;
    }
    String kind = op.getString("op");
    if (WRITE_OPS.contains(kind)) {
      return true;
    }
    Document command = op.get("command", Document.class);
    return "command".equals(kind)
        && command != null
        && !command.isEmpty()
        && WRITE_COMMANDS.contains(command.keySet().iterator().next());
  }

  /** {@code name@db} from {@code effectiveUsers}, else from the logical session's uid, or null. */
  static String user(Document op, Map<String, String> byUid) {
    List<?> users = op.getList("effectiveUsers", Object.class);
    if (users != null && !users.isEmpty() && users.get(0) instanceof Document u) {
      return u.getString("user") + "@" + u.getString("db");
    }
    Document lsid = op.get("lsid", Document.class);
    if (lsid != null && lsid.get("uid") != null) {
      return byUid.get(hex(lsid.get("uid")));
    }
    return null;
  }

  private static SessionInfo info(Document op, Map<String, String> byUid) {
    boolean writer = isWriter(op);
    String type = op.getString("type");
    Object connectionId = op.get("connectionId");
    Document lsid = op.get("lsid", Document.class);
    String id;
    if (connectionId != null) {
      id = "conn" + connectionId;
    } else if (lsid != null && lsid.get("id") != null) {
      id = "lsid:" + uuid(lsid.get("id"));
    } else {
      id = "opid:" + op.get("opid");
    }
    String state =
        "idleSession".equals(type)
            ? "idle in transaction"
            : Boolean.TRUE.equals(op.getBoolean("active")) ? "active" : "idle";
    StringBuilder detail = new StringBuilder();
    if (op.getString("op") != null) {
      detail.append(op.getString("op"));
      if (op.getString("ns") != null && !op.getString("ns").isEmpty()) {
        detail.append(" ").append(op.getString("ns"));
      }
    } else if (op.getString("desc") != null) {
      detail.append(op.getString("desc"));
    }
    Document txn = op.get("transaction", Document.class);
    if (txn != null) {
      Object open = txn.get("timeOpenMicros");
      detail.append("; transaction open");
      if (open instanceof Number n) {
        detail.append(" ").append(n.longValue() / 1000).append(" ms");
      }
    }
    if (lsid != null && lsid.get("id") != null) {
      detail.append("; lsid ").append(uuid(lsid.get("id")));
    }
    return new SessionInfo(
        id,
        user(op, byUid),
        op.getString("client"),
        op.getString("appName"),
        state,
        writer,
        detail.toString().replaceFirst("^; ", ""));
  }

  /** A session id as text, whether the driver decoded it as a UUID or as subtype 4 binary. */
  static String uuid(Object id) {
    if (id instanceof UUID u) {
      return u.toString();
    }
    if (id instanceof Binary b && b.getData().length == 16) {
      ByteBuffer buf = ByteBuffer.wrap(b.getData());
      return new UUID(buf.getLong(), buf.getLong()).toString();
    }
    return String.valueOf(id);
  }

  private static String hex(Object uid) {
    if (uid instanceof Binary b) {
      return HexFormat.of().formatHex(b.getData());
    }
    if (uid instanceof byte[] bytes) {
      return HexFormat.of().formatHex(bytes);
    }
    return String.valueOf(uid);
  }
}
