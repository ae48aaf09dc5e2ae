package dev.switchback.activities.oracle;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Names, quoting and error codes. */
final class OracleSql {

  private static final Pattern ORDINARY = Pattern.compile("[A-Za-z][A-Za-z0-9_$#]*");

  /**
   * Errors retrying cannot fix: ORA-01031 insufficient privileges, ORA-00942 table or view does not
   * exist (how a missing grant on a v$ or dba_ view shows), ORA-01017 invalid credentials,
   * ORA-01045 no CREATE SESSION, ORA-28000 the admin account itself is locked.
   */
  private static final Set<Integer> PERMISSION_ERRORS = Set.of(1031, 942, 1017, 1045, 28000);

  /** ORA-00030: the session to kill has ended meanwhile. */
  static final int NO_SUCH_SESSION = 30;

  /** ORA-00031: the session is already marked for kill. */
  static final int MARKED_FOR_KILL = 31;

  private OracleSql() {}

  /**
   * The name as the data dictionary stores it: an ordinary identifier is stored in upper case
   * ({@code app} is user {@code APP}); anything else only exists as a quoted, case-sensitive name.
   */
  static String canonical(String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("empty Oracle user name");
    }
    String n = name.strip();
    if (n.length() > 2 && n.startsWith("\"") && n.endsWith("\"")) {
      return n.substring(1, n.length() - 1);
    }
    return ORDINARY.matcher(n).matches() ? n.toUpperCase(Locale.ROOT) : n;
  }

  /** A quoted identifier for a canonical name. */
  static String quote(String canonical) {
    if (canonical.isEmpty() || canonical.contains("\"") || canonical.length() > 128) {
      throw new IllegalArgumentException("not a valid Oracle identifier: " + canonical);
    }
    return "\"" + canonical + "\"";
  }

  static boolean isPermissionError(int errorCode) {
    return PERMISSION_ERRORS.contains(errorCode);
  }
}
