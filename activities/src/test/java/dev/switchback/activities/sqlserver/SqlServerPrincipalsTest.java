package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.sqlserver.SqlServerPrincipals.Principal;
import dev.switchback.activities.sqlserver.SqlServerPrincipals.Resolution;
import dev.switchback.activities.support.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Account names to database users and logins, on principals.json. */
class SqlServerPrincipalsTest {

  private static final List<Principal> ALL =
      Fixtures.rows(SqlServerPrincipalsTest.class, "principals.json").stream()
          .map(Principal::of)
          .toList();

  @Test
  void anAccountResolvesByUserOrLoginNameWithoutCase() {
    Resolution r = SqlServerPrincipals.resolve(ALL, List.of("ORDERS_APP", "orders_batch_login"));

    assertEquals(List.of(), r.missing());
    assertEquals("orders_app", r.found().get(0).user());
    assertEquals("OrdersBatch", r.found().get(1).user(), "the DENY acts on the database user");
    assertEquals("orders_batch_login", r.found().get(1).sessionLogin(), "KILL acts on the login");
  }

  @Test
  void unknownNamesAreReportedMissing() {
    Resolution r = SqlServerPrincipals.resolve(ALL, List.of("orders_app", "nobody"));
    assertEquals(List.of("nobody"), r.missing());
    assertEquals(1, r.found().size());
  }

  @Test
  void aContainedUserShowsInSessionsUnderItsOwnName() {
    Principal p = SqlServerPrincipals.resolve(ALL, List.of("contained_app")).found().get(0);
    assertNull(p.login());
    assertEquals("contained_app", p.sessionLogin());
    assertNull(p.sysadmin(), "unknown stays unknown");
  }

  @Test
  void sysadminMembersAndTheDatabaseOwnerCannotBeStoppedByDeny() {
    assertTrue(
        SqlServerPrincipals.resolve(ALL, List.of("legacy_admin"))
            .found()
            .get(0)
            .untouchableByDeny());
    assertTrue(SqlServerPrincipals.resolve(ALL, List.of("sa")).found().get(0).untouchableByDeny());
    assertFalse(
        SqlServerPrincipals.resolve(ALL, List.of("orders_app")).found().get(0).untouchableByDeny());
    assertFalse(
        SqlServerPrincipals.resolve(ALL, List.of("CORP\\svc-orders"))
            .found()
            .get(0)
            .untouchableByDeny());
  }
}
