package dev.switchback.activities.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.switchback.activities.support.SessionAccounts.Kind;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionAccountsTest {

  @Test
  void switchbacksOwnSessionsComeFirstWhateverTheirAccount() {
    SessionAccounts a = new SessionAccounts(Set.of("app"), Set.of("mig"));
    assertEquals(Kind.SWITCHBACK, a.kindOf("app", Connections.APPLICATION_NAME));
    assertEquals(Kind.MIGRATION, a.kindOf("MIG", "dts"));
    assertEquals(Kind.APPLICATION, a.kindOf("App", "orders-api"));
    assertEquals(Kind.OTHER, a.kindOf("reporting", "bi"));
    assertEquals(Kind.OTHER, a.kindOf(null, "bi"));
  }

  @Test
  void withNoApplicationAccountsEveryOtherAccountIsTheApplications() {
    SessionAccounts a = new SessionAccounts(Set.of(), Set.of("mig"));
    assertEquals(Kind.APPLICATION, a.kindOf("reporting", "bi"));
    assertEquals(Kind.APPLICATION, a.kindOf(null, "bi"));
    assertEquals(Kind.MIGRATION, a.kindOf("mig", "bi"));
  }

  @Test
  void aliasesAddNamesForTheSameAccounts() {
    SessionAccounts a =
        new SessionAccounts(Set.of("OrdersUser"), Set.of("dts_user"))
            .withAliases(List.of("orders_login"), List.of("dts_login"));
    assertEquals(Kind.APPLICATION, a.kindOf("ORDERS_LOGIN", "x"));
    assertEquals(Kind.MIGRATION, a.kindOf("dts_login", "x"));
  }
}
