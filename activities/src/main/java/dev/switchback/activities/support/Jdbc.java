package dev.switchback.activities.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The two JDBC calls engines make: a parameterised query read row by row, and a statement. */
public final class Jdbc {

  private Jdbc() {}

  /** Runs {@code sql} with string parameters and maps each row. */
  public static <T> List<T> query(
      Connection c, String sql, List<String> args, Function<Columns, T> row) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.size(); i++) {
        ps.setString(i + 1, args.get(i));
      }
      List<T> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        Columns cols = Columns.of(rs);
        while (rs.next()) {
          out.add(row.apply(cols));
        }
      }
      return out;
    }
  }

  /** Runs one statement without parameters (DDL, KILL, ALTER ...). */
  public static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
