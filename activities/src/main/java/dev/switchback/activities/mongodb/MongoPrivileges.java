package dev.switchback.activities.mongodb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.Document;

/** Reading privilege documents, and planning the migration account's revoke. */
final class MongoPrivileges {

  /**
   * Actions that write or drop user data, let a user write through the fence, or let it give itself
   * writes again (grantRole: any role to any user of the database; changePassword: log in as
   * another user).
   */
  static final Set<String> WRITE_ACTIONS =
      Set.of(
          "insert",
          "update",
          "remove",
          "bypassWriteBlockingMode",
          "dropCollection",
          "dropDatabase",
          "renameCollectionSameDB",
          "grantRole",
          "changePassword");

  /**
   * Built-in roles that write, and the read-only role that replaces each (empty: none). dbAdmin
   * drops collections and databases; userAdmin grants any role, so the account could give itself
   * its writes back.
   */
  private static final Map<String, String> BUILT_IN_WRITE_ROLES =
      Map.of(
          "readWrite", "read",
          "dbOwner", "read",
          "readWriteAnyDatabase", "readAnyDatabase",
          "root", "readAnyDatabase",
          "restore", "",
          "__system", "",
          "dbAdmin", "",
          "dbAdminAnyDatabase", "",
          "userAdmin", "",
          "userAdminAnyDatabase", "");

  static final Set<String> BUILT_IN_ROLES =
      Set.of(
          "read",
          "readWrite",
          "dbAdmin",
          "dbOwner",
          "userAdmin",
          "clusterAdmin",
          "clusterManager",
          "clusterMonitor",
          "hostManager",
          "backup",
          "restore",
          "readAnyDatabase",
          "readWriteAnyDatabase",
          "userAdminAnyDatabase",
          "dbAdminAnyDatabase",
          "root",
          "__system",
          "enableSharding",
          "directShardOperations",
          "searchCoordinator");

  /** What the revoke does: roles to grant first (so reads never lapse), roles to revoke. */
  record RevokePlan(List<Document> grant, List<Document> revoke) {}

  private MongoPrivileges() {}

  /**
   * Whether {@code privileges} (the {@code inheritedPrivileges} of usersInfo or the {@code
   * authenticatedUserPrivileges} of connectionStatus) allow {@code action} on the cluster.
   */
  static boolean hasClusterAction(List<Document> privileges, String action) {
    for (Document p : privileges) {
      Document resource = p.get("resource", Document.class);
      List<String> actions = p.getList("actions", String.class);
      boolean cluster =
          resource != null
              && (Boolean.TRUE.equals(resource.getBoolean("cluster"))
                  || Boolean.TRUE.equals(resource.getBoolean("anyResource")));
      if (cluster && actions != null && actions.contains(action)) {
        return true;
      }
    }
    return false;
  }

  /** Whether any privilege in {@code privileges} grants one of {@link #WRITE_ACTIONS}. */
  static boolean writes(List<Document> privileges) {
    for (Document p : privileges) {
      List<String> actions = p.getList("actions", String.class);
      if (actions != null && actions.stream().anyMatch(WRITE_ACTIONS::contains)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The privileges among {@code privileges} (a user's {@code inheritedPrivileges}) that write, each
   * as {@code actions on resource}; empty when none does.
   */
  static List<String> writePaths(List<Document> privileges) {
    List<String> out = new ArrayList<>();
    for (Document p : privileges) {
      List<String> actions = p.getList("actions", String.class);
      if (actions == null) {
        continue;
      }
      List<String> writes = actions.stream().filter(WRITE_ACTIONS::contains).sorted().toList();
      if (!writes.isEmpty()) {
        out.add(String.join(", ", writes) + " on " + resource(p.get("resource", Document.class)));
      }
    }
    return out;
  }

  private static String resource(Document r) {
    if (r == null) {
      return "an unnamed resource";
    }
    if (Boolean.TRUE.equals(r.getBoolean("cluster"))) {
      return "the cluster";
    }
    if (Boolean.TRUE.equals(r.getBoolean("anyResource"))) {
      return "any resource";
    }
    String db = r.getString("db");
    String coll = r.getString("collection");
    return (db == null || db.isEmpty() ? "every database" : db)
        + "."
        + (coll == null || coll.isEmpty() ? "*" : coll);
  }

  /**
   * Whether the server enforces authorization, from {@code getCmdLineOpts}. Without it every client
   * may bypass user write blocking (the server source's mayBypassWriteBlockingMode is true when
   * auth is off), so the fence would stop nothing. A keyFile or clusterAuthMode implies it.
   */
  static boolean authorizationEnforced(Document cmdLineOpts) {
    Document parsed = cmdLineOpts.get("parsed", Document.class);
    Document security = parsed == null ? null : parsed.get("security", Document.class);
    if (security == null) {
      return false;
    }
    return "enabled".equals(security.get("authorization"))
        || security.get("keyFile") != null
        || security.get("clusterAuthMode") != null;
  }

  /**
   * @param roles the user's {@code roles} ({@code {role, db}})
   * @param customWriteRoles {@code role@db} of the user's custom roles whose privileges write
   */
  static RevokePlan revokePlan(List<Document> roles, Set<String> customWriteRoles) {
    List<Document> grant = new ArrayList<>();
    List<Document> revoke = new ArrayList<>();
    for (Document r : roles) {
      String role = r.getString("role");
      String db = r.getString("db");
      Document ref = new Document("role", role).append("db", db);
      if (BUILT_IN_ROLES.contains(role)) {
        String replacement = BUILT_IN_WRITE_ROLES.get(role);
        if (replacement != null) {
          revoke.add(ref);
          if (!replacement.isEmpty()) {
            Document read = new Document("role", replacement).append("db", db);
            if (!roles.contains(read) && !grant.contains(read)) {
              grant.add(read);
            }
          }
        }
      } else if (customWriteRoles.contains(role + "@" + db)) {
        revoke.add(ref); // whole: a custom role cannot be revoked in part
      }
    }
    return new RevokePlan(grant, revoke);
  }
}
