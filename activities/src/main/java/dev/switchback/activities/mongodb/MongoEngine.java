package dev.switchback.activities.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoCredential;
import com.mongodb.MongoSecurityException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.RevokeReport;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bson.Document;
import org.bson.UuidRepresentation;

/**
 * MongoDB 6 / 7 (replica set or sharded cluster): sessions from {@code $currentOp}, and user write
 * blocking as the fence.
 *
 * <p>Fence: {@code setUserWriteBlockMode {global: true}} (6.0+), then the application's sessions
 * that hold an open transaction or a running write are killed ({@code killAllSessionsByPattern} by
 * logical session, {@code killOp} otherwise) so that nothing begun before the block commits after
 * it. Writes of users without the {@code bypassWriteBlockingMode} privilege then fail with
 * UserWritesBlocked (code 371); the migration account must hold that privilege (the {@code restore}
 * role or a custom role; preflight checks it), which is also how mongosync writes through it.
 * Limits: the block is for the whole cluster, every database and every user without the bypass, not
 * only the application's; it is durable (it survives restarts) until lifted; it aborts user index
 * builds in progress; it is refused on a standalone server and, on a sharded cluster, must be sent
 * to mongos; with authorization off every client bypasses it, so it stops nothing (preflight and
 * the fence refuse that). Whether enabling it waits for idle open transactions is unverified;
 * killing them before the block makes the question moot. Undo: {@code global: false}.
 */
public final class MongoEngine implements DatabaseEngine {

  /** UserWritesBlocked: a write refused by the fence. */
  public static final int USER_WRITES_BLOCKED = 371;

  private static final int UNAUTHORIZED = 13;
  private static final int ILLEGAL_OPERATION = 20;
  private static final int COMMAND_NOT_FOUND = 59;
  private static final Pattern AUTH_SOURCE = Pattern.compile("[?&]authSource=([^&]+)");

  @Override
  public String name() {
    return "mongodb";
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    try (MongoClient client = client(ctx)) {
      return MongoSessions.classify(currentOp(client), MongoAccounts.of(ctx));
    } catch (MongoCommandException | MongoSecurityException e) {
      throw failure(ctx, "listing sessions", e);
    }
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    MongoAccounts accounts = MongoAccounts.of(ctx);
    try (MongoClient client = client(ctx)) {
      MongoDatabase admin = client.getDatabase("admin");
      Boolean enforced = authorizationEnforced(admin);
      if (Boolean.FALSE.equals(enforced)) {
        throw ApplicationFailure.newNonRetryableFailure(
            field(ctx)
                + ": the server runs without authorization, so every client bypasses user write"
                + " blocking and the fence would stop nothing; enable authorization"
                + " (security.authorization: enabled or a keyFile) or use another fence",
            FailureTypes.INVALID_PLAN);
      }
      // Killed before the block as well as after: a writer caught mid-transaction cannot hold up
      // the block, and one that started in between is caught by the second pass.
      int killed = killWriters(admin, accounts);
      admin.runCommand(new Document("setUserWriteBlockMode", 1).append("global", true));
      killed += killWriters(admin, accounts);
      return new FenceResult(
          ctx.side(),
          "setUserWriteBlockMode global true + kill application writer sessions",
          killed,
          "user writes blocked cluster-wide for users without bypassWriteBlockingMode; "
              + killed
              + " application writer session(s) killed (their transactions abort)"
              + (accounts.migration() == null
                  ? ""
                  : "; " + accounts.migration() + " keeps writing if it holds the bypass"));
    } catch (MongoCommandException | MongoSecurityException e) {
      throw failure(ctx, "fencing writes", e);
    }
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    try (MongoClient client = client(ctx)) {
      client
          .getDatabase("admin")
          .runCommand(new Document("setUserWriteBlockMode", 1).append("global", false));
      return new FenceResult(
          ctx.side(), "setUserWriteBlockMode global false", 0, "user writes allowed again");
    } catch (MongoCommandException | MongoSecurityException e) {
      throw failure(ctx, "lifting the fence", e);
    }
  }

  /**
   * Swaps the account's write roles for read roles (see {@link MongoPrivileges#revokePlan}), ends
   * its sessions ({@code killAllSessionsByPattern} by user: their transactions abort, their
   * operations stop), then reads the account's {@code inheritedPrivileges} and {@code $currentOp}
   * again: a privilege that writes, or an operation or transaction of the account, fails the step.
   * Connections of the account stay open: MongoDB checks the account's roles again at their next
   * operation.
   */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    String full = MongoAccounts.fullName(account);
    String user = MongoAccounts.userPart(full);
    String db = MongoAccounts.dbPart(full);
    try (MongoClient client = client(ctx)) {
      MongoDatabase userDb = client.getDatabase(db);
      Document info = usersInfo(userDb, user, db);
      if (info == null) {
        throw RevokeReport.unknownAccount(
            field(ctx), full, "user " + full + " (write name@db for a user outside admin)");
      }
      RevokeReport report = new RevokeReport(field(ctx), full);
      List<Document> roles = info.getList("roles", Document.class);
      MongoPrivileges.RevokePlan plan =
          MongoPrivileges.revokePlan(roles, customWriteRoles(client, roles));
      if (!plan.grant().isEmpty()) {
        userDb.runCommand(new Document("grantRolesToUser", user).append("roles", plan.grant()));
      }
      if (!plan.revoke().isEmpty()) {
        userDb.runCommand(new Document("revokeRolesFromUser", user).append("roles", plan.revoke()));
      }
      plan.revoke().forEach(r -> report.revoked(r.getString("role") + "@" + r.getString("db")));
      if (!plan.grant().isEmpty()) {
        report.revoked(
            "and granted in their place, to keep reading: "
                + String.join(
                    ", ",
                    plan.grant().stream()
                        .map(r -> r.getString("role") + "@" + r.getString("db"))
                        .toList()));
      }
      MongoDatabase admin = client.getDatabase("admin");
      report.sessionsEnded(endSessions(admin, full, user, db));
      for (Document op : MongoSessions.ofUser(currentOp(client), full)) {
        if (MongoSessions.isWriter(op)) {
          report.left(
              "operation or transaction "
                  + MongoSessions.describe(op)
                  + " still running after killAllSessionsByPattern: killOp it");
        }
      }
      Document after = usersInfo(userDb, user, db);
      List<Document> privileges =
          after == null
              ? List.of()
              : after.getList("inheritedPrivileges", Document.class, List.of());
      for (String path : MongoPrivileges.writePaths(privileges)) {
        report.left(path + " (from its roles: usersInfo " + full + " with showPrivileges)");
      }
      report.checked("usersInfo inheritedPrivileges of " + full + ", $currentOp");
      return report.result();
    } catch (MongoCommandException | MongoSecurityException e) {
      throw failure(ctx, "revoking " + full + "'s writes", e);
    }
  }

  /**
   * TLS when {@code tls=true} (or {@code ssl=true}) or {@code mongodb+srv://}; checked unless told
   * not.
   */
  @Override
  public Transport transport(String field, dev.switchback.plan.EndpointSpec endpoint) {
    ConnectionString cs;
    try {
      cs = new ConnectionString(endpoint.url());
    } catch (RuntimeException e) {
      return Transport.unknown(field, field + ".url cannot be read: " + e.getMessage());
    }
    String fix = "; add tls=true to " + field + ".url with the CA in the worker's trust store";
    if (!Boolean.TRUE.equals(cs.getSslEnabled())) {
      return Transport.plaintext(field, field + ".url has no tls=true: no TLS" + fix);
    }
    String lower = endpoint.url().toLowerCase(java.util.Locale.ROOT);
    if (Boolean.TRUE.equals(cs.getSslInvalidHostnameAllowed())
        || lower.contains("tlsallowinvalidcertificates=true")
        || lower.contains("tlsinsecure=true")) {
      return Transport.unverified(
          field,
          field
              + ".url turns certificate or host name checks off (tlsInsecure,"
              + " tlsAllowInvalidCertificates or tlsAllowInvalidHostnames)"
              + fix);
    }
    return Transport.verified(
        field, field + ".url: TLS, the server's certificate and host name checked");
  }

  /** The user's document with its roles and inherited privileges, or null when there is none. */
  private static Document usersInfo(MongoDatabase userDb, String user, String db) {
    List<Document> users =
        userDb
            .runCommand(
                new Document("usersInfo", new Document("user", user).append("db", db))
                    .append("showPrivileges", true))
            .getList("users", Document.class);
    return users == null || users.isEmpty() ? null : users.get(0);
  }

  /** {@code role@db} of the custom roles among {@code roles} whose privileges write. */
  private static Set<String> customWriteRoles(MongoClient client, List<Document> roles) {
    Set<String> out = new HashSet<>();
    for (Document r : roles) {
      if (MongoPrivileges.BUILT_IN_ROLES.contains(r.getString("role"))) {
        continue;
      }
      Document roleInfo =
          client
              .getDatabase(r.getString("db"))
              .runCommand(
                  new Document(
                          "rolesInfo",
                          new Document("role", r.getString("role")).append("db", r.getString("db")))
                      .append("showPrivileges", true));
      for (Document ri : roleInfo.getList("roles", Document.class)) {
        List<Document> privs = ri.getList("inheritedPrivileges", Document.class);
        if (privs != null && MongoPrivileges.writes(privs)) {
          out.add(r.getString("role") + "@" + r.getString("db"));
        }
      }
    }
    return out;
  }

  /**
   * Kills the user's logical sessions (their transactions abort, their operations stop) and the
   * operations it runs without a session; returns how many of its sessions and running operations
   * there were.
   */
  private static int endSessions(MongoDatabase admin, String full, String user, String db) {
    List<Document> mine =
        MongoSessions.ofUser(
            admin.aggregate(List.of(MongoSessions.stage())).into(new ArrayList<>()), full);
    admin.runCommand(
        new Document(
            "killAllSessionsByPattern",
            List.of(new Document("users", List.of(new Document("user", user).append("db", db))))));
    int ended = 0;
    for (Document op : mine) {
      boolean active = Boolean.TRUE.equals(op.getBoolean("active"));
      if (op.get("lsid") == null && active && op.get("opid") != null) {
        admin.runCommand(new Document("killOp", 1).append("op", op.get("opid")));
      }
      if (op.get("lsid") != null || active) {
        ended++; // an idle connection is not ended: its next operation meets the new roles
      }
    }
    return ended;
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    String f = field(ctx);
    List<PreflightCheck> out = new ArrayList<>();
    try (MongoClient client = client(ctx)) {
      MongoDatabase admin = client.getDatabase("admin");
      String version = admin.runCommand(new Document("buildInfo", 1)).getString("version");
      Document hello = admin.runCommand(new Document("hello", 1));
      boolean topology = hello.get("setName") != null || "isdbgrid".equals(hello.get("msg"));
      boolean versionOk = majorVersion(version) >= 6;
      out.add(
          new PreflightCheck(
              f + ": MongoDB reachable",
              topology && versionOk,
              "MongoDB "
                  + version
                  + (hello.get("setName") != null
                      ? ", replica set " + hello.get("setName")
                      : "isdbgrid".equals(hello.get("msg")) ? ", mongos" : ", standalone")
                  + (versionOk ? "" : "; setUserWriteBlockMode needs 6.0 or later")
                  + (topology
                      ? ""
                      : "; setUserWriteBlockMode is refused on a standalone server (use a replica"
                          + " set)")));
      Boolean enforced = authorizationEnforced(admin);
      out.add(
          new PreflightCheck(
              f + ": authorization enforced",
              Boolean.TRUE.equals(enforced),
              enforced == null
                  ? "cannot read getCmdLineOpts (grant clusterMonitor to check); without"
                      + " authorization the fence stops nothing"
                  : enforced
                      ? "users without bypassWriteBlockingMode are stopped by the fence"
                      : "authorization is off: every client bypasses user write blocking; enable"
                          + " it"));
      Document status =
          admin.runCommand(new Document("connectionStatus", 1).append("showPrivileges", true));
      Document authInfo = status.get("authInfo", Document.class);
      List<Document> mine =
          authInfo == null
              ? List.of()
              : authInfo.getList("authenticatedUserPrivileges", Document.class, List.of());
      for (String action : List.of("setUserWriteBlockMode", "inprog", "killAnySession", "killop")) {
        boolean held = MongoPrivileges.hasClusterAction(mine, action);
        out.add(
            new PreflightCheck(
                f + ": " + action,
                held,
                (held ? "held by " : "missing for ")
                    + ctx.endpoint().user()
                    + (held
                        ? ""
                        : "; grant a role with this cluster action (e.g. clusterManager,"
                            + " backup or root)")));
      }
      MongoAccounts accounts = MongoAccounts.of(ctx);
      if (accounts.migration() != null) {
        out.add(
            bypassCheck(
                admin,
                f + ": migration account can write through the fence",
                accounts.migration(),
                true));
      }
      for (String app : accounts.application()) {
        out.add(
            bypassCheck(
                admin,
                f + ": application account " + app + " is stopped by the fence",
                app,
                false));
      }
    } catch (MongoCommandException | MongoSecurityException e) {
      out.add(
          new PreflightCheck(
              f + ": MongoDB reachable",
              false,
              "cannot query " + ctx.endpoint().url() + ": " + e.getMessage()));
    } catch (RuntimeException e) {
      out.add(new PreflightCheck(f + ": MongoDB reachable", false, e.getMessage()));
    }
    return out;
  }

  // ---- helpers ----

  private static String field(EngineContext ctx) {
    return ctx.side().word();
  }

  /**
   * A client for one call, named {@value Connections#APPLICATION_NAME} so the session check leaves
   * it out. The password is resolved here, never taken from the URL.
   */
  private static MongoClient client(EngineContext ctx) {
    String url = ctx.endpoint().url();
    if (!url.startsWith("mongodb://") && !url.startsWith("mongodb+srv://")) {
      throw ApplicationFailure.newNonRetryableFailure(
          field(ctx)
              + ".url: '"
              + url
              + "' is not a MongoDB connection string; write mongodb://host:port/?replicaSet=...",
          FailureTypes.INVALID_PLAN);
    }
    MongoClientSettings.Builder b =
        MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(url))
            .applicationName(Connections.APPLICATION_NAME)
            .uuidRepresentation(UuidRepresentation.STANDARD)
            .applyToClusterSettings(s -> s.serverSelectionTimeout(5, TimeUnit.SECONDS))
            .applyToSocketSettings(
                s -> s.connectTimeout(5, TimeUnit.SECONDS).readTimeout(60, TimeUnit.SECONDS));
    String user = ctx.endpoint().user();
    if (user != null) {
      String password =
          ctx.connections().secrets().resolve(field(ctx) + ".password", ctx.endpoint().password());
      Matcher m = AUTH_SOURCE.matcher(url);
      b.credential(
          MongoCredential.createCredential(
              user,
              m.find() ? m.group(1) : "admin",
              password == null ? new char[0] : password.toCharArray()));
    }
    return MongoClients.create(b.build());
  }

  private static List<Document> currentOp(MongoClient client) {
    return client
        .getDatabase("admin")
        .aggregate(List.of(MongoSessions.stage()))
        .into(new ArrayList<>());
  }

  /** Ends the application's writers; returns how many. */
  private static int killWriters(MongoDatabase admin, MongoAccounts accounts) {
    List<MongoSessions.KillTarget> targets =
        MongoSessions.killTargets(
            admin.aggregate(List.of(MongoSessions.stage())).into(new ArrayList<>()), accounts);
    List<Document> patterns = new ArrayList<>();
    for (MongoSessions.KillTarget t : targets) {
      if (t.lsid() != null) {
        patterns.add(new Document("lsid", t.lsid()));
      } else {
        admin.runCommand(new Document("killOp", 1).append("op", t.opid()));
      }
    }
    if (!patterns.isEmpty()) {
      admin.runCommand(new Document("killAllSessionsByPattern", patterns));
    }
    return targets.size();
  }

  /** True or false from getCmdLineOpts; null when this account may not read it. */
  private static Boolean authorizationEnforced(MongoDatabase admin) {
    try {
      return MongoPrivileges.authorizationEnforced(
          admin.runCommand(new Document("getCmdLineOpts", 1)));
    } catch (MongoCommandException e) {
      if (e.getErrorCode() == UNAUTHORIZED) {
        return null;
      }
      throw e;
    }
  }

  private static PreflightCheck bypassCheck(
      MongoDatabase admin, String check, String fullName, boolean wanted) {
    String user = MongoAccounts.userPart(fullName);
    String db = MongoAccounts.dbPart(fullName);
    Document info =
        admin.runCommand(
            new Document("usersInfo", new Document("user", user).append("db", db))
                .append("showPrivileges", true));
    List<Document> users = info.getList("users", Document.class);
    if (users == null || users.isEmpty()) {
      return new PreflightCheck(
          check, false, "no user " + fullName + " (write name@db for users outside admin)");
    }
    List<Document> privs = users.get(0).getList("inheritedPrivileges", Document.class, List.of());
    boolean bypass = MongoPrivileges.hasClusterAction(privs, "bypassWriteBlockingMode");
    boolean ok = bypass == wanted;
    String detail =
        wanted
            ? (bypass
                ? fullName + " holds bypassWriteBlockingMode"
                : fullName
                    + " lacks bypassWriteBlockingMode: the fence would stop the migration too;"
                    + " grant it a role with that cluster action")
            : (bypass
                ? fullName
                    + " holds bypassWriteBlockingMode (root, restore or a custom role), so the fence"
                    + " would not stop it; let the application use an account without it"
                : fullName + " has no bypass");
    return new PreflightCheck(check, ok, detail);
  }

  static int majorVersion(String version) {
    try {
      return Integer.parseInt(version.split("\\.")[0]);
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Permission and topology problems are for a human to fix; anything else is retried. */
  private static RuntimeException failure(EngineContext ctx, String what, RuntimeException e) {
    String msg = field(ctx) + ": " + what + " failed: " + e.getMessage();
    if (e instanceof MongoSecurityException) {
      return ApplicationFailure.newNonRetryableFailure(
          msg + " (check " + field(ctx) + ".user and its password)", FailureTypes.PERMISSION);
    }
    int code = ((MongoCommandException) e).getErrorCode();
    if (code == UNAUTHORIZED) {
      return ApplicationFailure.newNonRetryableFailure(
          msg
              + " (the admin account "
              + ctx.endpoint().user()
              + " lacks a privilege; run preflight)",
          FailureTypes.PERMISSION);
    }
    if (code == ILLEGAL_OPERATION || code == COMMAND_NOT_FOUND) {
      return ApplicationFailure.newNonRetryableFailure(
          msg
              + " (user write blocking needs MongoDB 6.0+ on a replica set, or mongos for a sharded"
              + " cluster)",
          FailureTypes.INVALID_PLAN);
    }
    return e;
  }
}
