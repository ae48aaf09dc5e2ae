package dev.switchback.activities.mongodb;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCredential;
import com.mongodb.MongoServerException;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.EndpointSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.UuidRepresentation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine contract on a real MongoDB 6+ replica set (or mongos) with authorization on. No
 * MongoDB can run on this machine, so it runs only where {@code SWITCHBACK_MONGODB_URL} is set,
 * e.g. {@code mongodb://localhost:27017/?replicaSet=rs0}, with {@code SWITCHBACK_MONGODB_USER} and
 * {@code SWITCHBACK_MONGODB_PASSWORD} for a root user: the test creates users {@code
 * sb_contract_app} (readWrite) and {@code sb_contract_mig} (readWrite + bypassWriteBlockingMode) in
 * {@code admin} and writes to {@code switchback_contract.sb_contract}.
 */
class MongoEngineContractTest extends DatabaseEngineContract {
  static final String URL = System.getenv("SWITCHBACK_MONGODB_URL");
  static final String APP = "sb_contract_app";
  static final String MIG = "sb_contract_mig";
  static final String DB = "switchback_contract";
  static final String PASSWORD = "sb-" + UUID.randomUUID();

  static Connections connections;

  @BeforeAll
  static void prepareUsers() {
    if (URL == null) {
      return; // every test skips with skipReason()'s message
    }
    try (MongoClient admin = client(adminUser(), adminPassword(), "sb-contract-setup")) {
      MongoDatabase a = admin.getDatabase("admin");
      Document opts = a.runCommand(new Document("getCmdLineOpts", 1));
      assertTrue(
          MongoPrivileges.authorizationEnforced(opts),
          "the MongoDB server at SWITCHBACK_MONGODB_URL runs without authorization, where every"
              + " client bypasses user write blocking; run it with a keyFile or"
              + " security.authorization: enabled");
      a.runCommand(new Document("setUserWriteBlockMode", 1).append("global", false));
      upsertUser(a, APP, List.of(new Document("role", "readWrite").append("db", DB)));
      grantMigrationAccount(a);
      MongoDatabase db = admin.getDatabase(DB);
      if (!db.listCollectionNames().into(new java.util.ArrayList<>()).contains("sb_contract")) {
        db.createCollection("sb_contract");
      }
    }
    connections =
        new Connections(new Secrets(Map.of("SWITCHBACK_MONGODB_PASSWORD", adminPassword())));
  }

  /** The migration account's writes, and the bypass of user write blocking (the fence). */
  private static void grantMigrationAccount(MongoDatabase a) {
    if (a.runCommand(new Document("rolesInfo", "sbContractBypass"))
        .getList("roles", Document.class)
        .isEmpty()) {
      a.runCommand(
          new Document("createRole", "sbContractBypass")
              .append(
                  "privileges",
                  List.of(
                      new Document("resource", new Document("cluster", true))
                          .append("actions", List.of("bypassWriteBlockingMode"))))
              .append("roles", List.of()));
    }
    upsertUser(
        a,
        MIG,
        List.of(
            new Document("role", "readWrite").append("db", DB),
            new Document("role", "sbContractBypass").append("db", "admin")));
  }

  @AfterAll
  static void closeConnections() {
    if (connections != null) {
      connections.close();
    }
  }

  private static void upsertUser(MongoDatabase admin, String user, List<Document> roles) {
    boolean exists =
        !admin
            .runCommand(new Document("usersInfo", user))
            .getList("users", Document.class)
            .isEmpty();
    admin.runCommand(
        new Document(exists ? "updateUser" : "createUser", user)
            .append("pwd", PASSWORD)
            .append("roles", roles));
  }

  static String adminUser() {
    return System.getenv("SWITCHBACK_MONGODB_USER");
  }

  static String adminPassword() {
    String p = System.getenv("SWITCHBACK_MONGODB_PASSWORD");
    return p == null ? "" : p;
  }

  static MongoClient client(String user, String password, String appName) {
    MongoClientSettings.Builder b =
        MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(URL))
            .applicationName(appName)
            .uuidRepresentation(UuidRepresentation.STANDARD)
            .applyToConnectionPoolSettings(p -> p.maxSize(1))
            .applyToClusterSettings(s -> s.serverSelectionTimeout(5, TimeUnit.SECONDS));
    if (user != null) {
      b.credential(MongoCredential.createCredential(user, "admin", password.toCharArray()));
    }
    return MongoClients.create(b.build());
  }

  @Override
  protected String skipReason() {
    return URL == null ? "SWITCHBACK_MONGODB_URL not set: MongoDB engine contract not run" : null;
  }

  @Override
  protected DatabaseEngine engine() {
    return new MongoEngine();
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec(
            "mongodb",
            URL,
            adminUser(),
            adminUser() == null ? null : "env:SWITCHBACK_MONGODB_PASSWORD",
            List.of(APP),
            Map.of()),
        MIG,
        connections);
  }

  @Override
  protected EngineSession openApplicationSession() {
    return new MongoSession(APP);
  }

  @Override
  protected EngineSession openMigrationSession() {
    return new MongoSession(MIG);
  }

  /**
   * UserWritesBlocked (371) from the fence; NoSuchTransaction (251), TransactionAborted (244) or
   * Interrupted (11601) for a transaction whose session the fence killed.
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    MongoServerException e = assertInstanceOf(MongoServerException.class, error, "a server error");
    assertTrue(
        Set.of(MongoEngine.USER_WRITES_BLOCKED, 251, 244, 11601).contains(e.getCode()),
        "the fence's error, not " + e.getCode() + ": " + e.getMessage());
  }

  /** One client with one pooled connection, named uniquely so $currentOp shows which it is. */
  static final class MongoSession implements EngineSession {
    private final String appName = "sbc-" + UUID.randomUUID().toString().substring(0, 8);
    private final MongoClient client;
    private final MongoCollection<Document> coll;
    private final String user;
    private ClientSession txn;

    MongoSession(String user) {
      this.user = user;
      this.client = client(user, PASSWORD, appName);
      this.coll = client.getDatabase(DB).getCollection("sb_contract");
    }

    @Override
    public void read() {
      coll.countDocuments();
    }

    @Override
    public void write() {
      coll.insertOne(new Document("v", user));
    }

    @Override
    public void beginWriteAndHold() {
      txn = client.startSession();
      txn.startTransaction();
      coll.insertOne(txn, new Document("v", user));
    }

    @Override
    public void commit() {
      txn.commitTransaction();
    }

    @Override
    public boolean reportedAs(SessionInfo session) {
      return appName.equals(session.application());
    }

    @Override
    public void close() {
      try {
        if (txn != null) {
          if (txn.hasActiveTransaction()) {
            txn.abortTransaction();
          }
          txn.close();
        }
      } catch (RuntimeException ignored) {
        // The fence may have killed the session already.
      }
      client.close();
    }
  }

  /** 13: Unauthorized. */
  @Override
  protected void assertRevokeRejection(Throwable error) {
    MongoServerException e = assertInstanceOf(MongoServerException.class, error, "a server error");
    assertTrue(e.getCode() == 13, "Unauthorized (13), not " + e.getCode() + ": " + e.getMessage());
  }

  @Override
  protected void restoreMigrationAccountWrites() {
    try (MongoClient admin = client(adminUser(), adminPassword(), "sb-contract-restore")) {
      grantMigrationAccount(admin.getDatabase("admin"));
    }
  }
}
