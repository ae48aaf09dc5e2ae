package dev.switchback.activities.validation;

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
}
