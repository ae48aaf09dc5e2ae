package dev.switchback.activities.validation;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

/**
 * What data validation needs from one SQL engine family. Implementations live in the engine's
 * package ({@code postgres}, {@code mysql}); {@link DataValidator} holds the engine-neutral logic:
 * ranges, parallelism, narrowing down, progress.
 *
 * <p>Every hash is computed inside the database over a canonical text rendering of rows, so only
 * counts and hashes cross the network until a range differs.
 */
public interface ValidationDialect {

  /** Connection properties (session name, timeouts) for a JDBC URL of this engine. */
  Properties connectionProperties(String url);

  /**
   * Session settings under which both sides render every type the same way. Refuses (with a
   * non-retryable failure) a server whose rendering cannot be made canonical.
   */
  void prepare(Connection c) throws SQLException;

  /**
   * Starts a consistent read view on every connection of one side, as close to one point in time as
   * the engine allows.
   *
   * @return a note for the report when the view is weaker than one shared snapshot, else null
   */
  String beginSnapshot(Connection control, List<Connection> workers) throws SQLException;

  /** Bytes of row text one in-database aggregate may hold on this side. */
  long rangeByteBudget(Connection c) throws SQLException;

  /** The schema (database) unqualified table names belong to. */
  String defaultSchema(Connection c) throws SQLException;

  /** Every user table: {schema, name}. */
  List<String[]> listTables(Connection c) throws SQLException;

  /** The table's columns, keys and estimates, or null when it does not exist. */
  TableShape describe(Connection c, String schema, String name) throws SQLException;

  /** The quoted, qualified name. */
  String quoteTable(TableShape shape);

  /**
   * SQL rendering one column of this side as canonical text. {@code other} is the same column on
   * the other side; where their types differ in a way that only changes rendering (FLOAT and
   * DOUBLE, DATETIME(0) and DATETIME(6)) both sides choose the same canonical form.
   */
  String columnExpression(Column mine, TableShape mineShape, Column other, TableShape otherShape);

  /** SQL joining column expressions into one row's text, unambiguously. */
  String rowExpression(List<String> columnExpressions);

  /** Whether ranges of this single-column key can be computed from its minimum and maximum. */
  boolean integerKey(Column column);

  /** Minimum and maximum of an integer key as text, or null when the table is empty. */
  String[] integerMinMax(Connection c, TableSide t) throws SQLException;

  /** Count and hash of the rows in {@code range}, rows taken in key order. */
  Digest digest(Connection c, TableSide t, KeyRange range)
      throws SQLException, RangeTooLargeException;

  /** Rows in {@code range}. */
  long count(Connection c, TableSide t, KeyRange range) throws SQLException;

  /** Calls {@code sink} with each row's key (columns as text) and row hash in {@code range}. */
  void rowHashes(Connection c, TableSide t, KeyRange range, RowSink sink) throws SQLException;

  /**
   * Keys that cut {@code within} into pieces of about {@code step} rows each, walking the key's
   * index: at most {@code max} keys, ascending.
   */
  List<List<String>> boundaries(
      Connection c, TableSide t, KeyRange within, long step, int max, Runnable tick)
      throws SQLException;

  /** An order-independent digest of the whole table, for tables without a usable key. */
  Digest multisetDigest(Connection c, TableSide t) throws SQLException;

  /** Calls {@code sink} with each distinct row hash and its number of rows, ascending by hash. */
  void multisetHashes(Connection c, TableSide t, HashCountSink sink) throws SQLException;

  /** Up to {@code limit} rows among the rows with these hashes, printed for a person to read. */
  List<String> rowsWithHashes(Connection c, TableSide t, Collection<String> hashes, int limit)
      throws SQLException;

  /** Receives rows of a range. */
  @FunctionalInterface
  interface RowSink {
    void accept(List<String> key, String hash);
  }

  /** Receives row hashes of a table in ascending order. */
  @FunctionalInterface
  interface HashCountSink {
    void accept(String hash, long rows) throws SQLException;
  }
}
