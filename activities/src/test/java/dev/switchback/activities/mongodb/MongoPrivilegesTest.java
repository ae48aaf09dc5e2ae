package dev.switchback.activities.mongodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Fixtures;
import java.util.List;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** Privilege reading and the revoke plan, on connectionStatus / getCmdLineOpts fixtures. */
class MongoPrivilegesTest {

  private static Document fixture(String name) {
    return Document.parse(Fixtures.text(MongoPrivilegesTest.class, name));
  }

  @Test
  void clusterActionsAreReadFromConnectionStatus() {
    List<Document> privs =
        fixture("connectionStatus.json")
            .get("authInfo", Document.class)
            .getList("authenticatedUserPrivileges", Document.class);
    assertTrue(MongoPrivileges.hasClusterAction(privs, "setUserWriteBlockMode"));
    assertTrue(MongoPrivileges.hasClusterAction(privs, "killAnySession"));
    assertFalse(MongoPrivileges.hasClusterAction(privs, "bypassWriteBlockingMode"));
    assertFalse(
        MongoPrivileges.hasClusterAction(privs, "find"), "a database action is not a cluster one");
  }

  @Test
  void aKeyFileMeansAuthorizationAndNoSecuritySectionMeansNone() {
    assertTrue(MongoPrivileges.authorizationEnforced(fixture("getCmdLineOpts-keyfile.json")));
    assertFalse(MongoPrivileges.authorizationEnforced(fixture("getCmdLineOpts-noauth.json")));
    assertTrue(
        MongoPrivileges.authorizationEnforced(
            Document.parse("{\"parsed\": {\"security\": {\"authorization\": \"enabled\"}}}")));
  }

  @Test
  void revokeSwapsWriteRolesForReadRolesAndDropsCustomWriteRolesAndRolesThatGrantWritesBack() {
    List<Document> roles =
        List.of(
            role("readWrite", "orders"),
            role("readWriteAnyDatabase", "admin"),
            role("restore", "admin"),
            role("read", "reports"),
            role("mongosyncBypass", "admin"),
            role("auditReader", "admin"),
            role("userAdmin", "orders"));

    MongoPrivileges.RevokePlan plan =
        MongoPrivileges.revokePlan(roles, Set.of("mongosyncBypass@admin"));

    assertEquals(List.of(role("read", "orders"), role("readAnyDatabase", "admin")), plan.grant());
    assertEquals(
        List.of(
            role("readWrite", "orders"),
            role("readWriteAnyDatabase", "admin"),
            role("restore", "admin"),
            role("mongosyncBypass", "admin"),
            role("userAdmin", "orders")),
        plan.revoke());
  }

  @Test
  void writePathsNameEachWritingPrivilegeAndItsResource() {
    List<Document> inherited =
        Document.parse(
                """
                {"inheritedPrivileges": [
                  {"resource": {"db": "orders", "collection": ""}, "actions": ["find", "insert"]},
                  {"resource": {"db": "orders", "collection": "items"},
                   "actions": ["update", "remove", "find"]},
                  {"resource": {"db": "reports", "collection": ""}, "actions": ["find"]},
                  {"resource": {"db": "", "collection": ""}, "actions": ["dropCollection"]},
                  {"resource": {"db": "orders", "collection": ""}, "actions": ["grantRole"]},
                  {"resource": {"cluster": true}, "actions": ["bypassWriteBlockingMode", "inprog"]}
                ]}
                """)
            .getList("inheritedPrivileges", Document.class);

    assertEquals(
        List.of(
            "insert on orders.*",
            "remove, update on orders.items",
            "dropCollection on every database.*",
            "grantRole on orders.*",
            "bypassWriteBlockingMode on the cluster"),
        MongoPrivileges.writePaths(inherited));
    assertEquals(
        List.of(),
        MongoPrivileges.writePaths(
            List.of(
                Document.parse(
                    "{\"resource\": {\"db\": \"orders\", \"collection\": \"\"},"
                        + " \"actions\": [\"find\", \"listCollections\"]}"))));
  }

  @Test
  void aUserWithoutWriteRolesNeedsNothing() {
    MongoPrivileges.RevokePlan plan =
        MongoPrivileges.revokePlan(List.of(role("read", "orders")), Set.of());
    assertTrue(plan.grant().isEmpty());
    assertTrue(plan.revoke().isEmpty());
  }

  @Test
  void customRolesWriteWhenTheirPrivilegesInsertUpdateRemoveOrBypass() {
    assertTrue(
        MongoPrivileges.writes(
            List.of(
                Document.parse(
                    "{\"resource\": {\"cluster\": true}, \"actions\": [\"bypassWriteBlockingMode\"]}"))));
    assertFalse(
        MongoPrivileges.writes(
            List.of(
                Document.parse(
                    "{\"resource\": {\"db\": \"orders\", \"collection\": \"\"}, \"actions\": [\"find\"]}"))));
  }

  private static Document role(String role, String db) {
    return new Document("role", role).append("db", db);
  }
}
