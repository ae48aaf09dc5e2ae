package dev.switchback.activities.mysql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Accounts' global privileges as information_schema lists them, for preflight (privileges reached
 * only through roles are not listed there; finalize's revoke reads SHOW GRANTS, see {@link
 * ShowGrants}).
 */
final class Grants {
  private Grants() {}

  /** Global privileges by grantee ({@code 'user'@'host'}). */
  static Map<String, Set<String>> global(Connection c) throws SQLException {
    Map<String, Set<String>> out = new TreeMap<>();
    for (Map<String, Object> r :
        Sql.rows(c, "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES")) {
      out.computeIfAbsent(Sql.text(r, "GRANTEE"), k -> new TreeSet<>())
          .add(Sql.text(r, "PRIVILEGE_TYPE").toUpperCase());
    }
    return out;
  }

  /** Global privileges of {@code user} at any host, by grantee. */
  static Map<String, Set<String>> globalOf(Connection c, String user) throws SQLException {
    Map<String, Set<String>> out = new TreeMap<>();
    global(c)
        .forEach(
            (grantee, privs) -> {
              if (user.equals(userOf(grantee))) {
                out.put(grantee, privs);
              }
            });
    return out;
  }

  /** The user part of {@code 'user'@'host'}. */
  static String userOf(String grantee) {
    if (grantee == null || !grantee.startsWith("'")) {
      return grantee;
    }
    int end = grantee.lastIndexOf("'@'");
    return end < 0 ? grantee : grantee.substring(1, end).replace("''", "'");
  }

  /** {@code 'user'@'host'} for CURRENT_USER()'s {@code user@host}. */
  static String granteeOf(String currentUser) {
    int at = currentUser.lastIndexOf('@');
    String user = at < 0 ? currentUser : currentUser.substring(0, at);
    String host = at < 0 ? "%" : currentUser.substring(at + 1);
    return "'" + user.replace("'", "''") + "'@'" + host.replace("'", "''") + "'";
  }

  /** The privileges of the account this connection logged in as. */
  static Set<String> mine(Connection c) throws SQLException {
    String grantee = granteeOf(Sql.one(c, "SELECT CURRENT_USER()"));
    return global(c).getOrDefault(grantee, Set.of());
  }
}
