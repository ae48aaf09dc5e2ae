package dev.switchback.activities.mysql;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Small JDBC helpers shared by the MySQL/MariaDB provider and engine. */
final class Sql {
  /** Errors no retry can fix: access denied, missing privilege. */
  private static final Set<Integer> PERMISSION_ERRORS = Set.of(1044, 1045, 1142, 1227, 1370, 1698);

  private Sql() {}

  /** The first column of the first row as a string, or null when there is no row. */
  static String one(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Every row as a map from column label to value, labels compared without case. */
  static List<Map<String, Object>> rows(Connection c, String sql, Object... params)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rows(rs);
      }
    }
  }

  /**
   * Rows of a statement that the prepared-statement protocol does not accept (SHOW ... STATUS on
   * some servers).
   */
  static List<Map<String, Object>> showRows(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rows(rs);
    }
  }

  private static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<Map<String, Object>> out = new ArrayList<>();
    while (rs.next()) {
      Map<String, Object> row = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (int i = 1; i <= md.getColumnCount(); i++) {
        row.put(md.getColumnLabel(i), rs.getObject(i));
      }
      out.add(row);
    }
    return out;
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** A string value of {@code row} under the first of {@code names} the row has. */
  static String text(Map<String, Object> row, String... names) {
    for (String n : names) {
      if (row.containsKey(n)) {
        Object v = row.get(n);
        return v == null ? null : v.toString();
      }
    }
    return null;
  }

  /** A number of {@code row} under the first of {@code names} the row has, or null. */
  static Long number(Map<String, Object> row, String... names) {
    String t = text(row, names);
    if (t == null || t.isBlank()) {
      return null;
    }
    try {
      return Long.parseLong(t.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * A string literal for statements that take no parameters (CHANGE MASTER, KILL, SET GLOBAL).
   * Backslashes are doubled unless the session's sql_mode has NO_BACKSLASH_ESCAPES, where a doubled
   * backslash would change the value.
   */
  static String literal(Connection c, String value) throws SQLException {
    String mode = one(c, "SELECT @@SESSION.sql_mode");
    boolean backslashEscapes = mode == null || !mode.toUpperCase().contains("NO_BACKSLASH_ESCAPES");
    return literal(value, backslashEscapes);
  }

  static String literal(String value, boolean backslashEscapes) {
    StringBuilder b = new StringBuilder("'");
    for (char ch : value.toCharArray()) {
      switch (ch) {
        case '\'' -> b.append("''");
        case '\\' -> b.append(backslashEscapes ? "\\\\" : "\\");
        case '\0' -> throw new IllegalArgumentException("a NUL character cannot be quoted");
        default -> b.append(ch);
      }
    }
    return b.append('\'').toString();
  }

  /** A quoted identifier (database, table, connection name). */
  static String ident(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /**
   * The exception an activity should see for {@code e}: missing privileges are non-retryable {@code
   * PermissionDenied} failures naming what was attempted; everything else is retried.
   */
  static RuntimeException failure(String what, SQLException e) {
    if (PERMISSION_ERRORS.contains(e.getErrorCode())) {
      return ApplicationFailure.newNonRetryableFailureWithCause(
          what + ": " + e.getMessage() + " (grant the missing privilege to the admin account)",
          FailureTypes.PERMISSION,
          e);
    }
    return new IllegalStateException(what + ": " + e.getMessage(), e);
  }
}
