package dev.switchback.activities.mysql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The lines of {@code SHOW GRANTS FOR ...}, read as MySQL 8 and MariaDB print them. SHOW GRANTS is
 * the one listing that holds every kind of grant: global, database, table, column, routine, proxy
 * and roles (information_schema has no routine grants and lists a role's privileges under the role,
 * not under the accounts it is granted to).
 *
 * <p>A line is never quoted whole in a message: MariaDB prints the account's password hash after
 * {@code TO}. Only the privileges, the level and the role names are kept.
 */
final class ShowGrants {

  /** What a line grants. */
  enum Kind {
    /** Privileges on a level: {@code GRANT INSERT, UPDATE (`c`) ON `db`.`t` TO ...}. */
    PRIVILEGES,
    /** Roles: {@code GRANT `r` TO ...} (MariaDB) or {@code GRANT `r`@`%`,`s`@`%` TO ...}. */
    ROLES,
    /** {@code GRANT PROXY ON 'u'@'h' TO ...}: log in as another account. */
    PROXY
  }

  /**
   * One GRANT line.
   *
   * @param privileges as printed, with column lists ({@code INSERT (`v`)}); empty for roles
   * @param level {@code *.*}, {@code `db`.*}, {@code `db`.`t`}, {@code PROCEDURE `db`.`p`}, or the
   *     proxied account; null for roles
   * @param roles the granted roles as printed, ready for REVOKE; empty otherwise
   */
  record Grant(Kind kind, List<String> privileges, String level, List<String> roles) {

    /** The privileges of this line that write, as printed. */
    List<String> writes() {
      return privileges.stream().filter(ShowGrants::writes).toList();
    }

    boolean global() {
      return "*.*".equals(level);
    }

    /** A routine's grant ({@code PROCEDURE}, {@code FUNCTION}, {@code PACKAGE [BODY]}). */
    boolean routine() {
      String l = level.toUpperCase(Locale.ROOT);
      return l.startsWith("PROCEDURE ") || l.startsWith("FUNCTION ") || l.startsWith("PACKAGE ");
    }

    /** A table's grant: {@code `db`.`t`}, not {@code `db`.*}. */
    boolean table() {
      return !global() && !routine() && !level.endsWith(".*");
    }
  }

  /**
   * Privileges through which an account changes data or schema, or makes itself able to: the data
   * and DDL privileges; EXECUTE (a routine may run as its definer and write); and the global ones
   * that lead to writes: SUPER, CREATE USER (ALTER USER another account, then log in as it), SET
   * USER / SET_USER_ID / SET_ANY_DEFINER (objects that run as another account), ROLE_ADMIN (grant
   * itself any role), BINLOG REPLAY / REPLICATION_APPLIER (apply row events), REPLICATION SLAVE
   * ADMIN (point a replication channel at a server of one's own). Reads and monitoring (SELECT,
   * SHOW VIEW, PROCESS, REPLICATION SLAVE/CLIENT ...) are not.
   */
  static final Set<String> WRITE_PRIVILEGES =
      Set.of(
          "ALL",
          "ALL PRIVILEGES",
          "INSERT",
          "UPDATE",
          "DELETE",
          "DELETE HISTORY",
          "CREATE",
          "DROP",
          "ALTER",
          "INDEX",
          "TRIGGER",
          "CREATE VIEW",
          "CREATE ROUTINE",
          "ALTER ROUTINE",
          "EXECUTE",
          "EVENT",
          "SUPER",
          "CREATE USER",
          "SET USER",
          "SET_USER_ID",
          "SET_ANY_DEFINER",
          "ROLE_ADMIN",
          "BINLOG REPLAY",
          "REPLICATION_APPLIER",
          "REPLICATION SLAVE ADMIN",
          "REPLICATION_SLAVE_ADMIN");

  private ShowGrants() {}

  /** Whether one printed privilege ({@code INSERT (`v`)}, {@code ALL PRIVILEGES}) writes. */
  static boolean writes(String privilege) {
    return WRITE_PRIVILEGES.contains(name(privilege));
  }

  /** A privilege's name without its column list, upper case. */
  static String name(String privilege) {
    int paren = topLevel(privilege, "(", 0);
    String n = paren < 0 ? privilege : privilege.substring(0, paren);
    return n.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
  }

  /**
   * The write privileges to revoke for one grant: those printed, with {@code ALL [PRIVILEGES]}
   * spelled out as the writes that exist at its level (REVOKE takes single privileges out of ALL).
   */
  static List<String> toRevoke(Grant g, boolean mariadb) {
    List<String> out = new ArrayList<>();
    for (String p : g.writes()) {
      String n = name(p);
      if (n.equals("ALL") || n.equals("ALL PRIVILEGES")) {
        out.addAll(allWrites(g, mariadb));
      } else {
        out.add(p);
      }
    }
    return out.stream().distinct().toList();
  }

  private static List<String> allWrites(Grant g, boolean mariadb) {
    if (g.routine()) {
      return List.of("EXECUTE", "ALTER ROUTINE");
    }
    List<String> out =
        new ArrayList<>(List.of("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "INDEX"));
    out.add("TRIGGER");
    out.add("CREATE VIEW");
    if (mariadb) {
      out.add("DELETE HISTORY");
    }
    if (g.table()) {
      return out;
    }
    out.addAll(List.of("CREATE ROUTINE", "ALTER ROUTINE", "EXECUTE", "EVENT"));
    if (g.global()) {
      out.addAll(List.of("SUPER", "CREATE USER"));
    }
    return out;
  }

  /** Parses the lines that grant; others (SET DEFAULT ROLE, partial REVOKE lines) are skipped. */
  static List<Grant> parse(List<String> lines) {
    List<Grant> out = new ArrayList<>();
    for (String line : lines) {
      Grant g = parse(line);
      if (g != null) {
        out.add(g);
      }
    }
    return out;
  }

  /** One line, or null when it grants nothing this reads (or cannot be read). */
  static Grant parse(String line) {
    String s = line == null ? "" : line.strip();
    if (!s.regionMatches(true, 0, "GRANT ", 0, 6)) {
      return null;
    }
    String rest = s.substring(6);
    int on = topLevel(rest, " ON ", 0);
    int to = topLevel(rest, " TO ", 0);
    if (to < 0) {
      return null;
    }
    if (on < 0 || on > to) {
      return new Grant(Kind.ROLES, List.of(), null, split(rest.substring(0, to)));
    }
    List<String> privileges = split(rest.substring(0, on));
    int to2 = topLevel(rest, " TO ", on + 4);
    if (to2 < 0) {
      return null;
    }
    String level = rest.substring(on + 4, to2).strip();
    if (privileges.size() == 1 && name(privileges.get(0)).equals("PROXY")) {
      return new Grant(Kind.PROXY, privileges, level, List.of());
    }
    return new Grant(Kind.PRIVILEGES, privileges, level, List.of());
  }

  /** Splits at commas outside quotes and parentheses. */
  private static List<String> split(String list) {
    List<String> out = new ArrayList<>();
    int from = 0;
    int comma;
    while ((comma = topLevel(list, ",", from)) >= 0) {
      out.add(list.substring(from, comma).strip());
      from = comma + 1;
    }
    out.add(list.substring(from).strip());
    out.removeIf(String::isEmpty);
    return out;
  }

  /**
   * The index of {@code token} (compared without case) at or after {@code from}, outside
   * backquotes, quotes and parentheses; -1 when absent.
   */
  private static int topLevel(String s, String token, int from) {
    char quote = 0;
    int depth = 0;
    for (int i = from; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (quote != 0) {
        if (ch == quote) {
          if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
            i++; // a doubled quote stands for itself
          } else {
            quote = 0;
          }
        } else if (ch == '\\' && quote != '`') {
          i++;
        }
        continue;
      }
      if (depth == 0 && s.regionMatches(true, i, token, 0, token.length())) {
        return i;
      }
      switch (ch) {
        case '`', '\'', '"' -> quote = ch;
        case '(' -> depth++;
        case ')' -> depth = Math.max(0, depth - 1);
        default -> {}
      }
    }
    return -1;
  }
}
