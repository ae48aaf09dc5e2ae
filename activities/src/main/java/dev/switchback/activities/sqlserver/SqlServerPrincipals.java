package dev.switchback.activities.sqlserver;

import dev.switchback.activities.support.Columns;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Plans name accounts; SQL Server has two kinds of name for one: the login (server level, what
 * {@code sys.dm_exec_sessions.login_name} shows and KILL targets) and the database user (what DENY
 * and role membership act on). They are often spelled the same but need not be, so every account is
 * resolved to both here, matching either name without case.
 */
final class SqlServerPrincipals {

  /**
   * The database's users with their logins. IS_SRVROLEMEMBER answers NULL when the caller may not
   * see the login's roles, which is reported as unknown rather than as "not sysadmin".
   */
  static final String QUERY =
      """
      SELECT dp.name AS user_name, sp.name AS login_name, dp.type_desc,
             CASE WHEN sp.name IS NULL THEN NULL ELSE IS_SRVROLEMEMBER('sysadmin', sp.name) END
               AS is_sysadmin
      FROM sys.database_principals dp
      LEFT JOIN sys.server_principals sp ON sp.sid = dp.sid
      WHERE dp.type IN ('S', 'U', 'G', 'E', 'X')
      """;

  /**
   * A database user and its login.
   *
   * @param login null for a user without login (contained database users log in as themselves)
   * @param sysadmin null when unknown
   */
  record Principal(String user, String login, String type, Boolean sysadmin) {

    static Principal of(Columns c) {
      Long sa = c.number("is_sysadmin");
      return new Principal(
          c.string("user_name"),
          c.string("login_name"),
          c.string("type_desc"),
          sa == null ? null : sa == 1);
    }

    /** The name sessions of this account show as {@code login_name}. */
    String sessionLogin() {
      return login != null ? login : user;
    }

    boolean named(String name) {
      return user.equalsIgnoreCase(name) || (login != null && login.equalsIgnoreCase(name));
    }

    /** DENY does not apply to sysadmin members nor to the database owner (dbo). */
    boolean untouchableByDeny() {
      return Boolean.TRUE.equals(sysadmin) || "dbo".equalsIgnoreCase(user);
    }
  }

  /** The principals found for {@code names}, and the names not found. */
  record Resolution(List<Principal> found, List<String> missing) {}

  private SqlServerPrincipals() {}

  static Resolution resolve(List<Principal> all, Collection<String> names) {
    List<Principal> found = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      Principal match = null;
      for (Principal p : all) {
        if (p.named(name)) {
          match = p;
          break;
        }
      }
      if (match == null) {
        missing.add(name);
      } else if (!found.contains(match)) {
        found.add(match);
      }
    }
    return new Resolution(found, missing);
  }
}
