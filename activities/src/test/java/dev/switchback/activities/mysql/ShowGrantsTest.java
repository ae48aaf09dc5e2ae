package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.mysql.ShowGrants.Grant;
import dev.switchback.activities.mysql.ShowGrants.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SHOW GRANTS lines as MariaDB 10.11 printed them on this machine and as the MySQL 8 manual shows
 * them (the MySQL lines are written by hand: no MySQL server runs here).
 */
class ShowGrantsTest {

  @Test
  void mariadbLinesWithColumnsRoutinesRolesAndAPasswordHash() {
    List<Grant> grants =
        ShowGrants.parse(
            List.of(
                "GRANT `exp_writer` TO `mig`@`%`",
                "GRANT USAGE ON *.* TO `mig`@`%` IDENTIFIED BY PASSWORD"
                    + " '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
                "GRANT SELECT ON `shop`.* TO `mig`@`%`",
                "GRANT INSERT (`v`), UPDATE (`w`, `odd ``name`) ON `shop`.`t` TO `mig`@`%`",
                "GRANT EXECUTE ON PROCEDURE `shop`.`add_row` TO `mig`@`%`",
                "GRANT PROXY ON 'app'@'%' TO 'mig'@'%'",
                "SET DEFAULT ROLE `exp_writer` FOR `mig`@`%`"));

    assertEquals(6, grants.size(), "SET DEFAULT ROLE grants nothing: " + grants);
    assertEquals(Kind.ROLES, grants.get(0).kind());
    assertEquals(List.of("`exp_writer`"), grants.get(0).roles());
    assertEquals("*.*", grants.get(1).level(), "the password hash is not part of any field");
    assertEquals(List.of(), grants.get(1).writes());
    assertEquals(List.of(), grants.get(2).writes());
    assertEquals(List.of("INSERT (`v`)", "UPDATE (`w`, `odd ``name`)"), grants.get(3).writes());
    assertEquals("`shop`.`t`", grants.get(3).level());
    assertTrue(grants.get(3).table());
    assertEquals(List.of("EXECUTE"), grants.get(4).writes());
    assertTrue(grants.get(4).routine());
    assertEquals(Kind.PROXY, grants.get(5).kind());
    assertEquals("'app'@'%'", grants.get(5).level());
  }

  @Test
  void mysql8LinesWithDynamicPrivilegesRolesWithHostsAndPartialRevokes() {
    List<Grant> grants =
        ShowGrants.parse(
            List.of(
                "GRANT SELECT, INSERT ON *.* TO `mig`@`%`",
                "GRANT ROLE_ADMIN,SET_USER_ID,BACKUP_ADMIN ON *.* TO `mig`@`%`",
                "REVOKE INSERT ON `mysql`.* FROM `mig`@`%`",
                "GRANT `app_writer`@`%`,`reporting`@`localhost` TO `mig`@`%` WITH ADMIN OPTION"));

    assertEquals(3, grants.size(), "a partial revoke grants nothing: " + grants);
    assertEquals(List.of("INSERT"), grants.get(0).writes());
    assertTrue(grants.get(0).global());
    assertEquals(List.of("ROLE_ADMIN", "SET_USER_ID"), grants.get(1).writes());
    assertEquals(List.of("`app_writer`@`%`", "`reporting`@`localhost`"), grants.get(2).roles());
  }

  @Test
  void allPrivilegesIsSpelledOutAsTheWritesOfItsLevel() {
    Grant db = ShowGrants.parse("GRANT ALL PRIVILEGES ON `shop`.* TO `mig`@`%`");
    Grant table = ShowGrants.parse("GRANT ALL PRIVILEGES ON `shop`.`t` TO `mig`@`%`");
    Grant global = ShowGrants.parse("GRANT ALL PRIVILEGES ON *.* TO `mig`@`%` WITH GRANT OPTION");
    Grant routine = ShowGrants.parse("GRANT ALL PRIVILEGES ON FUNCTION `shop`.`f` TO `mig`@`%`");

    assertTrue(ShowGrants.toRevoke(db, true).containsAll(List.of("EVENT", "DELETE HISTORY")));
    assertFalse(ShowGrants.toRevoke(db, false).contains("DELETE HISTORY"), "MySQL has none");
    assertFalse(ShowGrants.toRevoke(table, true).contains("EVENT"), "not a table privilege");
    assertTrue(ShowGrants.toRevoke(global, false).containsAll(List.of("SUPER", "CREATE USER")));
    assertEquals(List.of("EXECUTE", "ALTER ROUTINE"), ShowGrants.toRevoke(routine, false));
  }

  @Test
  void readsAndMonitoringAreNotWrites() {
    Grant g =
        ShowGrants.parse(
            "GRANT SELECT, SHOW VIEW, PROCESS, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO"
                + " `mig`@`%`");
    assertEquals(List.of(), g.writes());
    assertNull(ShowGrants.parse("SET DEFAULT ROLE NONE FOR `mig`@`%`"));
  }
}
