package dev.switchback.demo;

import java.util.List;

/**
 * What a router demo found comparing the two sides once its load ended.
 *
 * @param kind {@code identical} (a completed cutover: both sides hold the same rows, compared
 *     before finalize, while the reverse instance still carries the destination's writes back) or
 *     {@code contained} (a rollback: everything the destination committed is on the source, which
 *     the application wrote on afterwards)
 * @param passed the sides are identical, or the destination's writes all on the source
 * @param tables what was compared, table by table
 * @param detail one line for people
 */
public record SideCheck(String kind, boolean passed, List<TableCheck> tables, String detail) {

  public static final String IDENTICAL = "identical";
  public static final String CONTAINED = "contained";

  public SideCheck {
    tables = List.copyOf(tables);
  }

  /**
   * One table (or, for MariaDB's containment, one GTID domain) compared.
   *
   * @param table what was compared
   * @param method how: {@code primary key}, {@code multiset} (rows without a key, duplicates
   *     counted), {@code CHECKSUM TABLE}, {@code GTID}
   * @param sourceRows rows on the source (for GTID: the source's sequence number in the domain)
   * @param destinationRows rows on the destination (for GTID: the destination's)
   * @param passed the same, or contained
   * @param detail what differs, or how it matched
   */
  public record TableCheck(
      String table,
      String method,
      long sourceRows,
      long destinationRows,
      boolean passed,
      String detail) {}

  /** The check over {@code tables}: passed when every one passed. */
  static SideCheck of(String kind, List<TableCheck> tables) {
    boolean passed = !tables.isEmpty() && tables.stream().allMatch(TableCheck::passed);
    List<String> failing =
        tables.stream().filter(t -> !t.passed()).map(t -> t.table() + ": " + t.detail()).toList();
    String detail =
        passed
            ? tables.size()
                + (IDENTICAL.equals(kind)
                    ? " table(s) identical on both sides"
                    : " check(s): the destination's writes are all on the source")
            : String.join("; ", failing);
    return new SideCheck(kind, passed, tables, detail);
  }
}
