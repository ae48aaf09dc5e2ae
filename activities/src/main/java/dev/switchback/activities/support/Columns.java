package dev.switchback.activities.support;

import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/**
 * One result row by column name, so that an engine's row parsing is a pure function: the same code
 * reads a live {@link ResultSet} and a captured row in a test fixture. Names compare without case,
 * as JDBC column labels do.
 */
@FunctionalInterface
public interface Columns {

  /** The column's value as the driver returns it ({@code getObject}), or null. */
  Object get(String name);

  /** The current row of {@code rs}. */
  static Columns of(ResultSet rs) {
    return name -> {
      try {
        return rs.getObject(name);
      } catch (SQLException e) {
        throw new IllegalStateException("column " + name + ": " + e.getMessage(), e);
      }
    };
  }

  /** A captured row. */
  static Columns of(Map<String, ?> row) {
    TreeMap<String, Object> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    byName.putAll(row);
    return name -> {
      if (!byName.containsKey(name)) {
        throw new IllegalStateException("column " + name + " is missing; has " + byName.keySet());
      }
      return byName.get(name);
    };
  }

  default String string(String name) {
    Object v = get(name);
    if (v == null) {
      return null;
    }
    String s = v.toString();
    return s.isEmpty() ? s : s.strip();
  }

  /**
   * A numeric column as a long; null stays null. Accepts the driver's Integer, Long, BigDecimal.
   */
  default Long number(String name) {
    Object v = get(name);
    if (v == null) {
      return null;
    }
    if (v instanceof BigDecimal d) {
      return d.longValueExact();
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    String s = v.toString().strip();
    return s.isEmpty() ? null : new BigDecimal(s).longValueExact();
  }
}
