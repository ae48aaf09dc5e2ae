package dev.switchback.activities.sqlserver;

import java.util.Set;

/** Quoting and error codes. */
final class SqlServerSql {

  /**
   * Errors retrying cannot fix: the admin account lacks a permission (229 object, 230 column, 262
   * statement, 297/300 server permission such as VIEW SERVER STATE, 5011 ALTER DATABASE, 6102 KILL,
   * 15151 principal not found or no permission, 15247 no permission for the action).
   */
  private static final Set<Integer> PERMISSION_ERRORS =
      Set.of(229, 230, 262, 297, 300, 5011, 6102, 15151, 15247);

  /** KILL of a session that has ended meanwhile: the fence wanted it gone, it is gone. */
  static final int NOT_AN_ACTIVE_PROCESS = 6106;

  private SqlServerSql() {}

  /** A delimited identifier: {@code [name]} with {@code ]} doubled. */
  static String bracket(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("empty SQL Server identifier");
    }
    return "[" + name.replace("]", "]]") + "]";
  }

  static boolean isPermissionError(int errorCode) {
    return PERMISSION_ERRORS.contains(errorCode);
  }

  /**
   * The {@code ;key=value} properties of a {@code jdbc:sqlserver://} URL, keys and values in lower
   * case, a {@code {...}} value unwrapped.
   */
  static java.util.Map<String, String> urlProperties(String url) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    if (url == null) {
      return out;
    }
    String[] parts = url.split(";");
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        String v = parts[i].substring(eq + 1).strip();
        if (v.startsWith("{") && v.endsWith("}")) {
          v = v.substring(1, v.length() - 1);
        }
        out.put(
            parts[i].substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT),
            v.toLowerCase(java.util.Locale.ROOT));
      }
    }
    return out;
  }

  /** master, model, msdb and tempdb: never a cutover's database. */
  static boolean isSystemDatabase(String name) {
    return name != null
        && Set.of("master", "model", "msdb", "tempdb")
            .contains(name.toLowerCase(java.util.Locale.ROOT));
  }
}
