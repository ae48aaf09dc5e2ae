package dev.switchback.activities.validation;

import java.util.List;

/**
 * A table as one side's catalog describes it.
 *
 * @param schema schema (PostgreSQL) or database (MySQL)
 * @param name the table's name
 * @param columns in the table's order
 * @param primaryKey the primary key's columns, empty when there is none
 * @param uniqueKeys unique keys whose columns are all NOT NULL (a substitute for a primary key)
 * @param indexes the leading columns of every plain index, to tell whether a key range can be read
 *     without scanning the table
 * @param clusteredOnPrimaryKey rows are stored in primary key order (InnoDB), so a primary key scan
 *     returns them in key order without sorting
 * @param estimatedRows the catalog's or planner's estimate, -1 when unknown
 * @param estimatedRowBytes average row size estimate, -1 when unknown
 * @param encoding the database encoding (PostgreSQL), else null
 * @param serverVersion the server's version number (PostgreSQL's server_version_num)
 */
public record TableShape(
    String schema,
    String name,
    List<Column> columns,
    List<String> primaryKey,
    List<List<String>> uniqueKeys,
    List<List<String>> indexes,
    boolean clusteredOnPrimaryKey,
    long estimatedRows,
    long estimatedRowBytes,
    String encoding,
    int serverVersion) {

  public TableShape {
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
    uniqueKeys = List.copyOf(uniqueKeys);
    indexes = List.copyOf(indexes);
  }

  public Column column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst().orElse(null);
  }

  /** Whether some index starts with exactly these columns, so key ranges are index range scans. */
  public boolean indexed(List<String> key) {
    return indexes.stream()
        .anyMatch(i -> i.size() >= key.size() && i.subList(0, key.size()).equals(key));
  }
}
