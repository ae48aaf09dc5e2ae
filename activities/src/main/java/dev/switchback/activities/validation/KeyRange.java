package dev.switchback.activities.validation;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Keys from {@code lower} (inclusive) to {@code upper} (exclusive); a null bound is open, so the
 * first and last ranges of a table also hold keys that exist on one side only.
 */
public record KeyRange(List<String> lower, List<String> upper) {
  public static final KeyRange ALL = new KeyRange(null, null);

  public KeyRange {
    lower = lower == null ? null : List.copyOf(lower);
    upper = upper == null ? null : List.copyOf(upper);
  }

  @Override
  public String toString() {
    return "["
        + (lower == null ? "-inf" : String.join(",", lower))
        + ", "
        + (upper == null ? "+inf" : String.join(",", upper))
        + ")";
  }

  /** The key in the first {@code columns} columns of the current row, as text. */
  public static List<String> keyOf(ResultSet rs, int columns) throws SQLException {
    List<String> key = new ArrayList<>(columns);
    for (int i = 1; i <= columns; i++) {
      key.add(rs.getString(i));
    }
    return key;
  }
}
