package dev.switchback.activities.validation;

import java.util.List;

/**
 * One side of a table being compared, with the SQL that renders its rows the same way as the other
 * side.
 *
 * @param field {@code source} or {@code destination}
 * @param shape the table as this side's catalog describes it
 * @param sql the table's quoted, qualified name
 * @param columns the compared columns on this side, in the source's order
 * @param key the key columns on this side, in key order; empty when rows are compared as a multiset
 * @param rowExpression SQL rendering one row as canonical text, columns in the source's order
 * @param keyOrderedScan a range scan on the key returns rows in key order without a sort (InnoDB's
 *     clustered primary key)
 * @param convertToUtf8 hash the UTF-8 bytes rather than the database encoding's (the two databases'
 *     encodings differ)
 */
public record TableSide(
    String field,
    TableShape shape,
    String sql,
    List<Column> columns,
    List<Column> key,
    String rowExpression,
    boolean keyOrderedScan,
    boolean convertToUtf8) {

  public TableSide {
    columns = List.copyOf(columns);
    key = List.copyOf(key);
  }

  public boolean keyed() {
    return !key.isEmpty();
  }
}
