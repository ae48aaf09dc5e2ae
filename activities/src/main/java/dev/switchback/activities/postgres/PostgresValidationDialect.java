package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.validation.Column;
import dev.switchback.activities.validation.Digest;
import dev.switchback.activities.validation.KeyRange;
import dev.switchback.activities.validation.RangeTooLargeException;
import dev.switchback.activities.validation.TableShape;
import dev.switchback.activities.validation.TableSide;
import dev.switchback.activities.validation.ValidationDialect;
import io.temporal.failure.ApplicationFailure;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Data validation on PostgreSQL 12 or later.
 *
 * <p>A row's canonical text is {@code concat_ws(',', ...)} of its columns in the source's order:
 * numbers, booleans, dates, times and UUIDs as the type prints them (never empty, never a comma;
 * NULL as {@code N}); every other type through {@code quote_nullable}, which quotes and escapes it
 * (NULL as the bare word {@code NULL}). A range's hash is {@code md5} of its rows' texts joined in
 * key order: one md5 call per range, because PostgreSQL's per-call md5 costs several times the
 * rendering itself (measured on 500k rows: per-row md5 with an XOR of 64-bit slices took 3-4 times
 * as long as the ordered aggregate, which took about as long as rendering the rows).
 */
public final class PostgresValidationDialect implements ValidationDialect {
  /** Types whose output is never empty and never holds a comma or a quote. */
  private static final Set<String> PLAIN =
      Set.of(
          "int2",
          "int4",
          "int8",
          "oid",
          "numeric",
          "float4",
          "float8",
          "bool",
          "date",
          "time",
          "timetz",
          "timestamp",
          "timestamptz",
          "uuid");

  private static final Set<String> INTEGERS = Set.of("int2", "int4", "int8");
  private static final Set<String> FLOATS = Set.of("float4", "float8");
  private static final Set<String> JSON = Set.of("json", "jsonb");

  /** Row text per aggregate: far below the 1 GB a text value may hold. */
  private static final long BYTE_BUDGET = 64L << 20;

  private static final Pattern SNAPSHOT_ID = Pattern.compile("[0-9A-Fa-f-]+");
  private static final Pattern PLAN_ROWS = Pattern.compile("\"Plan Rows\":\\s*([0-9.eE+]+)");
  private static final Pattern PLAN_WIDTH = Pattern.compile("\"Plan Width\":\\s*([0-9]+)");
  private static final int FETCH = 10_000;

  @Override
  public Properties connectionProperties(String url) {
    Properties p = new Properties();
    p.setProperty("ApplicationName", Connections.APPLICATION_NAME);
    p.setProperty("connectTimeout", "10");
    p.setProperty("tcpKeepAlive", "true");
    return p;
  }

  @Override
  public void prepare(Connection c) throws SQLException {
    c.setAutoCommit(true);
    int version = Integer.parseInt(one(c, "SHOW server_version_num"));
    if (version < 120000) {
      throw ApplicationFailure.newNonRetryableFailure(
          "PostgreSQL "
              + version
              + " is too old for data validation: before 12 float output is not shortest-exact,"
              + " so equal floats could print differently; upgrade or remove validation: from the"
              + " plan",
          FailureTypes.INVALID_PLAN);
    }
    try (Statement st = c.createStatement()) {
      // Every setting that changes how a value prints, fixed so both sides print alike whatever
      // their database or role defaults. extra_float_digits 1 (the default since 12) prints the
      // shortest text that reads back to the same float, so it names each value exactly; 0
      // would round to 15 digits and let different floats print the same.
      st.execute(
          "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'postgres';"
              + " SET extra_float_digits TO 1; SET bytea_output TO 'hex';"
              + " SET lc_monetary TO 'C';"
              // Ranges run in parallel already, and string_agg must see rows in key order,
              // which a parallel aggregate would not keep. JIT compiles for longer than a range
              // of 100k rows takes to hash.
              + " SET max_parallel_workers_per_gather TO 0; SET jit TO off;"
              // The control session idles in its transaction to keep the exported snapshot.
              + " SET statement_timeout TO 0; SET idle_in_transaction_session_timeout TO 0;"
              + " SET work_mem TO '64MB'");
    }
  }

  @Override
  public String beginSnapshot(Connection control, List<Connection> workers) throws SQLException {
    begin(control);
    String id = one(control, "SELECT pg_catalog.pg_export_snapshot()");
    if (!SNAPSHOT_ID.matcher(id).matches()) {
      throw new SQLException("unexpected snapshot id " + id);
    }
    for (Connection w : workers) {
      begin(w);
      try (Statement st = w.createStatement()) {
        st.execute("SET TRANSACTION SNAPSHOT '" + id + "'");
      }
    }
    return null;
  }

  private static void begin(Connection c) throws SQLException {
    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    c.setReadOnly(true);
    c.setAutoCommit(false);
  }

  @Override
  public long rangeByteBudget(Connection c) {
    return BYTE_BUDGET;
  }

  @Override
  public String defaultSchema(Connection c) throws SQLException {
    return one(c, "SELECT pg_catalog.current_schema()");
  }

  @Override
  public List<String[]> listTables(Connection c) throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c"
                    + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                    + " AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
                    + " ORDER BY 1, 2")) {
      while (rs.next()) {
        out.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    return out;
  }

  @Override
  public TableShape describe(Connection c, String schema, String name) throws SQLException {
    long oid;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT c.oid FROM pg_catalog.pg_class c"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        oid = rs.getLong(1);
      }
    }
    Map<Integer, Column> byNumber = new HashMap<>();
    List<Column> columns = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),"
                + " CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END,"
                + " NOT a.attnotnull,"
                + " CASE WHEN a.atttypid = 'pg_catalog.numeric'::pg_catalog.regtype"
                + " AND a.atttypmod > 0 THEN (a.atttypmod - 4) & 65535 ELSE -1 END"
                + " FROM pg_catalog.pg_attribute a"
                + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped"
                + " ORDER BY a.attnum")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Column col =
              new Column(
                  rs.getString(2),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getBoolean(5),
                  null,
                  rs.getInt(6));
          byNumber.put(rs.getInt(1), col);
          columns.add(col);
        }
      }
    }
    List<String> primary = List.of();
    List<List<String>> unique = new ArrayList<>();
    List<List<String>> indexes = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT i.indisprimary, i.indisunique, i.indnkeyatts, i.indkey::pg_catalog.text,"
                + " i.indpred IS NULL AND i.indexprs IS NULL"
                + " FROM pg_catalog.pg_index i WHERE i.indrelid = ? AND i.indisvalid"
                + " ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!rs.getBoolean(5)) {
            continue;
          }
          List<Column> cols = indexColumns(rs.getString(4), rs.getInt(3), byNumber);
          if (cols.isEmpty()) {
            continue;
          }
          List<String> names = cols.stream().map(Column::name).toList();
          indexes.add(names);
          if (rs.getBoolean(1)) {
            primary = names;
          } else if (rs.getBoolean(2) && cols.stream().noneMatch(Column::nullable)) {
            unique.add(names);
          }
        }
      }
    }
    String table = quote(schema) + "." + quote(name);
    String plan = one(c, "EXPLAIN (FORMAT JSON) SELECT * FROM " + table);
    long rows = -1;
    long width = -1;
    Matcher m = PLAN_ROWS.matcher(plan);
    if (m.find()) {
      rows = (long) Double.parseDouble(m.group(1));
    }
    m = PLAN_WIDTH.matcher(plan);
    if (m.find()) {
      // The planner's width counts binary sizes; text is longer (a timestamp is 8 bytes, 26
      // characters).
      width = Long.parseLong(m.group(1)) * 3 + 16;
    }
    if (rows < 10_000) {
      // A small or never analyzed table: its estimate may be far off, and counting it is cheap.
      rows = -1;
    }
    String encoding =
        one(
            c,
            "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database"
                + " WHERE datname = pg_catalog.current_database()");
    int version = Integer.parseInt(one(c, "SHOW server_version_num"));
    return new TableShape(
        schema, name, columns, primary, unique, indexes, false, rows, width, encoding, version);
  }

  /** The key columns of an index (not its INCLUDE columns); empty for expression indexes. */
  private static List<Column> indexColumns(
      String indkey, int keyColumns, Map<Integer, Column> byNumber) {
    String[] numbers = indkey.trim().split("\\s+");
    List<Column> cols = new ArrayList<>();
    for (int k = 0; k < keyColumns && k < numbers.length; k++) {
      Column col = byNumber.get(Integer.parseInt(numbers[k]));
      if (col == null) {
        return List.of();
      }
      cols.add(col);
    }
    return cols;
  }

  @Override
  public String quoteTable(TableShape shape) {
    return quote(shape.schema()) + "." + quote(shape.name());
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  @Override
  public String columnExpression(
      Column mine, TableShape mineShape, Column other, TableShape otherShape) {
    String col = quote(mine.name());
    String base = mine.baseType();
    String otherBase = other == null ? base : other.baseType();
    boolean plain = PLAIN.contains(base);
    String expr = col;
    if (other != null && !mine.type().equals(other.type())) {
      if (FLOATS.contains(base) && FLOATS.contains(otherBase)) {
        // A real and a double holding the same value: print both as the double.
        expr = col + "::pg_catalog.float8";
      } else if (base.equals("numeric")
          && (otherBase.equals("numeric") || INTEGERS.contains(otherBase))
          && mineShape.serverVersion() >= 130000
          && otherShape.serverVersion() >= 130000) {
        // numeric(12,2) prints 1.50 where numeric prints 1.5: the same number.
        expr = "pg_catalog.trim_scale(" + col + ")";
      } else if (JSON.contains(base) && JSON.contains(otherBase)) {
        expr = col + "::pg_catalog.jsonb";
        plain = false;
      }
    }
    if (plain) {
      return mine.nullable() ? "COALESCE((" + expr + ")::pg_catalog.text, 'N')" : expr;
    }
    return "pg_catalog.quote_nullable(" + expr + ")";
  }

  @Override
  public String rowExpression(List<String> columnExpressions) {
    if (columnExpressions.isEmpty()) {
      return "''";
    }
    // concat_ws takes at most 100 arguments; nested calls give the same text.
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < columnExpressions.size(); i += 90) {
      List<String> chunk = columnExpressions.subList(i, Math.min(i + 90, columnExpressions.size()));
      parts.add("pg_catalog.concat_ws(',', " + String.join(", ", chunk) + ")");
    }
    return parts.size() == 1 ? parts.get(0) : rowExpression(parts);
  }

  @Override
  public boolean integerKey(Column column) {
    return INTEGERS.contains(column.baseType());
  }

  @Override
  public String[] integerMinMax(Connection c, TableSide t) throws SQLException {
    String k = quote(t.key().get(0).name());
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT min("
                    + k
                    + ")::pg_catalog.text, max("
                    + k
                    + ")::pg_catalog.text FROM "
                    + t.sql())) {
      rs.next();
      return rs.getString(1) == null ? null : new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  @Override
  public Digest digest(Connection c, TableSide t, KeyRange range)
      throws SQLException, RangeTooLargeException {
    Where w = where(t, range);
    String sql =
        "SELECT pg_catalog.count(*), pg_catalog.md5("
            + utf8(t, "pg_catalog.string_agg(r, E'\\n')")
            + ") FROM (SELECT "
            + t.rowExpression()
            + " AS r FROM "
            + t.sql()
            + w.sql
            + " ORDER BY "
            + keyList(t)
            + ") x";
    // A savepoint keeps the snapshot's transaction usable if the range is too large to hash.
    Savepoint sp = c.setSavepoint();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      w.bind(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Digest d = new Digest(rs.getLong(1), rs.getString(2));
        c.releaseSavepoint(sp);
        return d;
      }
    } catch (SQLException e) {
      c.rollback(sp);
      if ("54000".equals(e.getSQLState()) || "53200".equals(e.getSQLState())) {
        throw new RangeTooLargeException(e.getMessage());
      }
      throw e;
    }
  }

  @Override
  public long count(Connection c, TableSide t, KeyRange range) throws SQLException {
    Where w = where(t, range);
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_catalog.count(*) FROM " + t.sql() + w.sql)) {
      w.bind(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void rowHashes(Connection c, TableSide t, KeyRange range, RowSink sink)
      throws SQLException {
    Where w = where(t, range);
    int n = t.key().size();
    String sql =
        "SELECT "
            + keyTexts(t)
            + ", pg_catalog.md5("
            + utf8(t, t.rowExpression())
            + ") FROM "
            + t.sql()
            + w.sql;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setFetchSize(FETCH);
      w.bind(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> key = KeyRange.keyOf(rs, n);
          sink.accept(key, rs.getString(n + 1));
        }
      }
    }
  }

  @Override
  public List<List<String>> boundaries(
      Connection c, TableSide t, KeyRange within, long step, int max, Runnable tick)
      throws SQLException {
    List<List<String>> out = new ArrayList<>();
    List<String> from = within.lower();
    int n = t.key().size();
    while (out.size() < max) {
      Where w = where(t, new KeyRange(from, within.upper()));
      String sql =
          "SELECT "
              + keyTexts(t)
              + " FROM "
              + t.sql()
              + w.sql
              + " ORDER BY "
              + keyList(t)
              + " OFFSET ? LIMIT 1";
      List<String> next = null;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int i = w.bind(ps, 1);
        ps.setLong(i, step);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            next = KeyRange.keyOf(rs, n);
          }
        }
      }
      if (next == null) {
        break;
      }
      out.add(List.copyOf(next));
      from = next;
      tick.run();
    }
    return out;
  }

  @Override
  public Digest multisetDigest(Connection c, TableSide t) throws SQLException {
    // Order-independent, as there is no key to order by: the sum of each row's first 64 bits of
    // md5 (a sum, unlike XOR, also counts duplicate rows).
    String sql =
        "SELECT pg_catalog.count(*), COALESCE(pg_catalog.sum(('x' || pg_catalog.left(h, 16))"
            + "::pg_catalog.bit(64)::pg_catalog.int8), 0)::pg_catalog.text FROM (SELECT"
            + " pg_catalog.md5("
            + utf8(t, t.rowExpression())
            + ") AS h FROM "
            + t.sql()
            + ") x";
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return new Digest(rs.getLong(1), rs.getString(2));
    }
  }

  @Override
  public void multisetHashes(Connection c, TableSide t, HashCountSink sink) throws SQLException {
    String sql =
        "SELECT h, pg_catalog.count(*) FROM (SELECT pg_catalog.md5("
            + utf8(t, t.rowExpression())
            + ") AS h FROM "
            + t.sql()
            + ") x GROUP BY h ORDER BY h COLLATE \"C\"";
    try (Statement st = c.createStatement()) {
      st.setFetchSize(FETCH);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          sink.accept(rs.getString(1), rs.getLong(2));
        }
      }
    }
  }

  @Override
  public List<String> rowsWithHashes(
      Connection c, TableSide t, Collection<String> hashes, int limit) throws SQLException {
    StringBuilder display = new StringBuilder();
    for (Column col : t.columns()) {
      display.append(display.length() == 0 ? "" : ", ").append(quote(col.name()));
    }
    String sql =
        "SELECT ROW("
            + display
            + ")::pg_catalog.text FROM "
            + t.sql()
            + " WHERE pg_catalog.md5("
            + utf8(t, t.rowExpression())
            + ") = ANY (?) LIMIT "
            + limit;
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Array array = c.createArrayOf("text", hashes.toArray());
      ps.setArray(1, array);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** Hashes the UTF-8 bytes when the two databases' encodings differ. */
  private static String utf8(TableSide t, String textExpression) {
    return t.convertToUtf8()
        ? "pg_catalog.convert_to(" + textExpression + ", 'UTF8')"
        : textExpression;
  }

  private static String keyList(TableSide t) {
    StringBuilder out = new StringBuilder();
    for (Column k : t.key()) {
      out.append(out.length() == 0 ? "" : ", ").append(quote(k.name()));
    }
    return out.toString();
  }

  private static String keyTexts(TableSide t) {
    StringBuilder out = new StringBuilder();
    for (Column k : t.key()) {
      out.append(out.length() == 0 ? "" : ", ").append(quote(k.name())).append("::pg_catalog.text");
    }
    return out.toString();
  }

  /** A key range as a row comparison, which a btree index serves as one range scan. */
  private static Where where(TableSide t, KeyRange range) {
    List<String> clauses = new ArrayList<>();
    List<String> params = new ArrayList<>();
    String keys = t.key().size() == 1 ? keyList(t) : "(" + keyList(t) + ")";
    if (range.lower() != null) {
      clauses.add(keys + " >= " + casts(t));
      params.addAll(range.lower());
    }
    if (range.upper() != null) {
      clauses.add(keys + " < " + casts(t));
      params.addAll(range.upper());
    }
    return new Where(clauses.isEmpty() ? "" : " WHERE " + String.join(" AND ", clauses), params);
  }

  private static String casts(TableSide t) {
    StringBuilder out = new StringBuilder();
    for (Column k : t.key()) {
      out.append(out.length() == 0 ? "" : ", ").append("CAST(? AS ").append(k.type()).append(')');
    }
    return t.key().size() == 1 ? out.toString() : "(" + out + ")";
  }

  private record Where(String sql, List<String> params) {
    int bind(PreparedStatement ps, int first) throws SQLException {
      int i = first;
      for (String p : params) {
        ps.setString(i++, p);
      }
      return i;
    }
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
