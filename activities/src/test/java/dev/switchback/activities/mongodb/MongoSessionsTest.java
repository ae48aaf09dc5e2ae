package dev.switchback.activities.mongodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mongodb.MongoClientSettings;
import dev.switchback.activities.spi.DatabaseEngine.Sessions;
import dev.switchback.activities.support.Fixtures;
import dev.switchback.messages.values.SessionInfo;
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.bson.UuidRepresentation;
import org.bson.codecs.DocumentCodec;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.types.Binary;
import org.junit.jupiter.api.Test;

/**
 * Session classification on the $currentOp entries in currentop.json (see the fixture's README).
 */
class MongoSessionsTest {

  static final MongoAccounts ACCOUNTS =
      new MongoAccounts(List.of("orders_app@admin"), "dts_migrator@admin");

  /** As Document.parse decodes by default. */
  static List<Document> ops() {
    return Document.parse(
            "{\"ops\": " + Fixtures.text(MongoSessionsTest.class, "currentop.json") + "}")
        .getList("ops", Document.class);
  }

  /** Decoded with a given UUID representation: UNSPECIFIED leaves UUIDs as subtype 4 binary. */
  static List<Document> ops(UuidRepresentation uuids) {
    // As the client builds it: the representation applies to the whole registry, nested
    // documents included.
    DocumentCodec codec =
        new DocumentCodec(
            CodecRegistries.withUuidRepresentation(
                MongoClientSettings.getDefaultCodecRegistry(), uuids));
    return Document.parse(
            "{\"ops\": " + Fixtures.text(MongoSessionsTest.class, "currentop.json") + "}", codec)
        .getList("ops", Document.class);
  }

  private static List<String> ids(List<SessionInfo> sessions) {
    return sessions.stream().map(SessionInfo::id).toList();
  }

  @Test
  void theMigrationAccountsEntriesAreFoundByUserAndByTheirSessionUid() {
    List<Document> mine = MongoSessions.ofUser(ops(), "dts_migrator@admin");

    // Its idle session holding a transaction (named only by its lsid's uid) and its update.
    assertEquals(
        List.of("idleSession", "op"), mine.stream().map(o -> o.getString("type")).toList());
    assertTrue(mine.stream().allMatch(MongoSessions::isWriter));
    assertEquals(List.of(), MongoSessions.ofUser(ops(), "sb_admin@admin"), "Switchback's own");
  }

  @Test
  void writesAndOpenTransactionsAreWritersAndTheIdleReaderIsNot() {
    Sessions s = MongoSessions.classify(ops(), ACCOUNTS);

    assertEquals(List.of("conn43", "conn42", "conn44"), ids(s.writers()));
    assertEquals(List.of("conn41"), ids(s.others()));
    // Switchback, migration idle session, migration update, monitoring socket, TTLMonitor,
    // the oplog fetcher, reporting
    assertEquals(7, s.excluded());
  }

  @Test
  void anIdleTransactionIsNamedByItsSessionUid() {
    SessionInfo idle = MongoSessions.classify(ops(), ACCOUNTS).writers().get(1);
    assertEquals("orders_app@admin", idle.user());
    assertEquals("idle in transaction", idle.state());
    assertEquals("orders-api", idle.application());
    assertTrue(idle.detail().contains("transaction open 4571 ms"), idle.detail());
    assertTrue(idle.detail().contains("lsid eb347736-8c7e-4ca7-8c7b-a43b8e61cd16"), idle.detail());
  }

  @Test
  void uuidsReadTheSameWhetherDecodedAsBinaryOrAsUuid() {
    Object binary =
        ops(UuidRepresentation.UNSPECIFIED).get(3).get("lsid", Document.class).get("id");
    Object standard = ops(UuidRepresentation.STANDARD).get(3).get("lsid", Document.class).get("id");
    assertTrue(binary instanceof Binary, "UNSPECIFIED decoding: " + binary.getClass());
    assertTrue(standard instanceof UUID, "STANDARD decoding: " + standard.getClass());
    assertEquals(MongoSessions.uuid(binary), MongoSessions.uuid(standard));
    assertEquals(
        ids(MongoSessions.classify(ops(UuidRepresentation.UNSPECIFIED), ACCOUNTS).writers()),
        ids(MongoSessions.classify(ops(UuidRepresentation.STANDARD), ACCOUNTS).writers()));
  }

  @Test
  void withNoApplicationAccountsNamedOtherUsersCountButUnknownIdleConnectionsDoNot() {
    Sessions s = MongoSessions.classify(ops(), new MongoAccounts(List.of(), "dts_migrator@admin"));
    assertEquals(List.of("conn43", "conn42", "conn44", "conn60"), ids(s.writers()));
    assertEquals(List.of("conn41"), ids(s.others()));
    SessionInfo idle = s.writers().get(1);
    assertNull(idle.user(), "an application account nobody named cannot be told from its uid");
  }

  @Test
  void theFenceKillsWritersBySessionAndKeepsItsHandsOffOthers() {
    List<MongoSessions.KillTarget> targets = MongoSessions.killTargets(ops(), ACCOUNTS);
    assertEquals(3, targets.size());
    assertEquals(
        "0c2d9a11-7e44-4f3b-8a1e-6b2f3c4d5e6f",
        MongoSessions.uuid(targets.get(0).lsid().get("id")));
    assertEquals(
        "eb347736-8c7e-4ca7-8c7b-a43b8e61cd16",
        MongoSessions.uuid(targets.get(1).lsid().get("id")));
    assertTrue(targets.get(1).lsid().get("uid") instanceof Binary, "the uid goes with the id");
    assertNull(targets.get(2).lsid(), "no session: killed by operation id");
    assertEquals(90220, targets.get(2).opid());
  }

  @Test
  void writeCommandsCountOnlyWhileActive() {
    Document idleFindAndModify = Document.parse(ops().get(9).toJson());
    idleFindAndModify.put("active", false);
    assertFalse(MongoSessions.isWriter(idleFindAndModify));
    assertTrue(MongoSessions.isWriter(ops().get(9)));
    assertFalse(MongoSessions.isWriter(ops().get(6)), "an awaitable hello does not write");
  }

  @Test
  void theSessionUidIsTheSha256OfUserAtDb() {
    assertEquals(
        "31296237aec87073697273f24a22bf03d8a1e730b2db0e10db50fa4a0e9e90ab",
        MongoAccounts.uidOf("orders_app@admin"));
    assertEquals("orders_app@admin", MongoAccounts.fullName("orders_app"));
    assertEquals("orders_app@orders", MongoAccounts.fullName("orders_app@orders"));
  }
}
