package dev.switchback.messages.values;

import java.util.List;

/**
 * One table compared on both sides.
 *
 * @param table the table
 * @param sourceRows rows on the source
 * @param destinationRows rows on the destination
 * @param missing rows on the source and not on the destination
 * @param extra rows on the destination and not on the source
 * @param changed rows on both with different content
 * @param examples a few differing keys, for the report
 */
public record TableComparison(
    String table,
    long sourceRows,
    long destinationRows,
    long missing,
    long extra,
    long changed,
    List<String> examples) {

  public boolean same() {
    return missing == 0 && extra == 0 && changed == 0;
  }
}
