package dev.switchback.activities.validation;

import java.util.BitSet;

/** Range indexes as compact text ({@code 0-4,7,9-12}) for heartbeat details. */
final class RangeSet {
  private RangeSet() {}

  static BitSet parse(String text) {
    BitSet set = new BitSet();
    if (text == null || text.isBlank()) {
      return set;
    }
    for (String part : text.split(",")) {
      int dash = part.indexOf('-');
      if (dash < 0) {
        set.set(Integer.parseInt(part.strip()));
      } else {
        set.set(
            Integer.parseInt(part.substring(0, dash).strip()),
            Integer.parseInt(part.substring(dash + 1).strip()) + 1);
      }
    }
    return set;
  }

  static String format(BitSet set) {
    StringBuilder out = new StringBuilder();
    int from = set.nextSetBit(0);
    while (from >= 0) {
      int to = set.nextClearBit(from) - 1;
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(from);
      if (to > from) {
        out.append('-').append(to);
      }
      from = set.nextSetBit(to + 1);
    }
    return out.toString();
  }
}
