package dev.switchback.activities.mysql;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.validation.Column;
import dev.switchback.activities.validation.Digest;
import dev.switchback.activities.validation.KeyRange;
import dev.switchback.activities.validation.RangeTooLargeException;
import dev.switchback.activities.validation.TableShape;
import dev.switchback.activities.validation.TableSide;
import dev.switchback.activities.validation.ValidationDialect;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Data validation on MySQL 8 and MariaDB 10.4 or later (either side either engine).
 *
 * <p>A row's canonical text is {@code CONCAT_WS(',', ...)} of its columns in the source's order:
 * numbers and dates as printed (NULL as {@code N}), text as its length in characters followed by
 * the text in utf8mb4 (NULL as {@code N} alone), binary as hex. Where the engine's own printing
 * loses information or depends on the declared type rather than the value, the column is printed
 * canonically: FLOAT as the double it holds (MariaDB prints a FLOAT with 6 significant digits, so
 * 3.141592 and 3.14159 would print alike), and, when the two sides declare a column differently,
 * DATETIME/TIMESTAMP/TIME with 6 fractional digits and DECIMAL without trailing zeros. A range's
 * hash is {@code MD5} over its rows' texts joined in key order ({@code GROUP_CONCAT}), one MD5 per
 * range.
 */
public final class MySqlValidationDialect implements ValidationDialect {
  private static final Set<String> INTEGERS =
      Set.of("tinyint", "smallint", "mediumint", "int", "integer", "bigint");
  private static final Set<String> BINARY =
      Set.of(
          "binary",
          "varbinary",
          "tinyblob",
          "blob",
          "mediumblob",
          "longblob",
          "geometry",
          "point",
          "linestring",
          "polygon",
          "multipoint",
          "multilinestring",
          "multipolygon",
          "geometrycollection");
  private static final Set<String> NUMBERS =
      Set.of(
          "tinyint",
          "smallint",
          "mediumint",
          "int",
          "integer",
          "bigint",
          "year",
          "decimal",
          "numeric",
          "double",
          "real",
          "float",
          "bit",
          "date",
          "datetime",
          "timestamp",
          "time");

  /** MySQL's warning "Row N was cut by GROUP_CONCAT()". */
  private static final int CUT_BY_GROUP_CONCAT = 1260;

  private static final String TIMESTAMP_FORMAT = "'%Y-%m-%d %H:%i:%s.%f'";
  private static final String TIME_FORMAT = "'%H:%i:%s.%f'";

  @Override
  public Properties connectionProperties(String url) {
    Properties p = new Properties();
    p.setProperty("connectionAttributes", "program_name:" + Connections.APPLICATION_NAME);
    p.setProperty("connectTimeout", "10000");
    p.setProperty("tcpKeepAlive", "true");
    return p;
  }

  @Override
  public void prepare(Connection c) throws SQLException {
    c.setAutoCommit(true);
    try (Statement st = c.createStatement()) {
      // time_zone: TIMESTAMP columns print in the session's zone. sql_mode '': no
      // PAD_CHAR_TO_FULL_LENGTH or ANSI_QUOTES changing how values print or SQL parses.
      // group_concat_max_len: a range's text is bounded by max_allowed_packet anyway.
      // character_set_connection: numbers print in it; utf8mb4 like the text spares a conversion
      // of every value when they are joined.
      st.execute(
          "SET SESSION time_zone = '+00:00', sql_mode = '', character_set_connection = utf8mb4,"
              + " group_concat_max_len = @@global.max_allowed_packet,"
              + " net_read_timeout = 3600, net_write_timeout = 3600");
      st.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    }
  }

  /**
   * Each session takes its own snapshot: MySQL cannot share one between sessions. They all start
   * within milliseconds, and the write position is read before and after; when it did not move, no
   * transaction committed in between and every session sees the same data. Otherwise the snapshots
   * are retried, and if writes go on, the report says so: validate while writes are stopped (during
   * a cutover they are) or on quiet tables.
   */
  @Override
  public String beginSnapshot(Connection control, List<Connection> workers) throws SQLException {
    List<Connection> all = new ArrayList<>();
    all.add(control);
    all.addAll(workers);
    for (int attempt = 0; attempt < 3; attempt++) {
      String before = writePosition(control);
      for (Connection c : all) {
        try (Statement st = c.createStatement()) {
          st.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
        }
      }
      String after = writePosition(control);
      if (before == null) {
        return "the server shows no write position (GTID or InnoDB LSN), so the "
            + all.size()
            + " sessions' snapshots cannot be proved to be one point in time; validate while"
            + " writes are stopped";
      }
      if (before.equals(after)) {
        return null;
      }
      for (Connection c : all) {
        try (Statement st = c.createStatement()) {
          st.execute("ROLLBACK");
        }
      }
    }
    for (Connection c : all) {
      try (Statement st = c.createStatement()) {
        st.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
      }
    }
    return "the database was being written while the validation's "
        + all.size()
        + " sessions took their snapshots, so they may see different points in time and report"
        + " rows written meanwhile; validate while writes are stopped";
  }

  /** GTID position and InnoDB LSN, whichever the server shows; null when it shows neither. */
  private static String writePosition(Connection c) throws SQLException {
    StringBuilder out = new StringBuilder();
    boolean mariadb = mariadb(c);
    String gtid =
        optional(c, mariadb ? "SELECT @@global.gtid_binlog_pos" : "SELECT @@global.gtid_executed");
    if (gtid != null && !gtid.isBlank()) {
      out.append(gtid);
    }
    String lsn = null;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'")) {
      if (rs.next()) {
        lsn = rs.getString(2);
      }
    }
    if (lsn != null) {
      out.append('|').append(lsn);
    }
    return out.length() == 0 ? null : out.toString();
  }

  private static boolean mariadb(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductVersion().toLowerCase(Locale.ROOT).contains("mariadb");
  }

  private static String optional(Connection c, String sql) {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    } catch (SQLException e) {
      return null;
    }
  }

  @Override
  public long rangeByteBudget(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT @@max_allowed_packet")) {
      rs.next();
      // Half: the estimate of a row's printed size is rough.
      return rs.getLong(1) / 2;
    }
  }

  @Override
  public String defaultSchema(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT DATABASE()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Override
  public List<String[]> listTables(Connection c) throws SQLException {
    List<String[]> out = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES"
                    + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
                    + " ORDER BY TABLE_NAME")) {
      while (rs.next()) {
        out.add(new String[] {rs.getString(1), rs.getString(2)});
      }
    }
    return out;
  }

  @Override
  public TableShape describe(Connection c, String schema, String name) throws SQLException {
    String engine;
    long rows;
    long rowBytes;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT ENGINE, TABLE_ROWS, AVG_ROW_LENGTH FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND TABLE_TYPE = 'BASE TABLE'")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        engine = rs.getString(1);
        rows = rs.getObject(2) == null ? -1 : rs.getLong(2);
        rowBytes = rs.getObject(3) == null ? -1 : rs.getLong(3);
      }
    }
    if (rows < 10_000) {
      // InnoDB's estimate is rough and may be 0 right after a bulk load; count small tables.
      rows = -1;
    }
    List<Column> columns = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, CHARACTER_SET_NAME,"
                + " NUMERIC_SCALE FROM information_schema.COLUMNS"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          columns.add(
              new Column(
                  rs.getString(1),
                  rs.getString(3).toLowerCase(Locale.ROOT),
                  rs.getString(2).toLowerCase(Locale.ROOT),
                  "YES".equals(rs.getString(4)),
                  rs.getString(5),
                  rs.getObject(6) == null ? -1 : rs.getInt(6)));
        }
      }
    }
    Map<String, List<String>> indexColumns = new LinkedHashMap<>();
    Map<String, Boolean> unique = new LinkedHashMap<>();
    Map<String, Boolean> whole = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS"
                + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String index = rs.getString(1);
          String column = rs.getString(3);
          unique.put(index, rs.getInt(2) == 0);
          List<String> cols = indexColumns.computeIfAbsent(index, k -> new ArrayList<>());
          // A prefix or functional part can neither order nor identify rows: the index serves
          // only the columns before it.
          if (column == null || rs.getObject(4) != null) {
            whole.put(index, false);
          } else if (whole.getOrDefault(index, true)) {
            cols.add(column);
          }
        }
      }
    }
    List<String> primary = List.of();
    List<List<String>> uniqueKeys = new ArrayList<>();
    List<List<String>> indexes = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : indexColumns.entrySet()) {
      List<String> cols = List.copyOf(e.getValue());
      if (cols.isEmpty()) {
        continue;
      }
      indexes.add(cols);
      boolean complete = whole.getOrDefault(e.getKey(), true);
      if (e.getKey().equals("PRIMARY") && complete) {
        primary = cols;
      } else if (unique.get(e.getKey()) && complete) {
        boolean notNull =
            cols.stream()
                .allMatch(n -> columns.stream().anyMatch(x -> x.name().equals(n) && !x.nullable()));
        if (notNull) {
          uniqueKeys.add(cols);
        }
      }
    }
    boolean clustered = "innodb".equalsIgnoreCase(engine) && !primary.isEmpty();
    return new TableShape(
        schema, name, columns, primary, uniqueKeys, indexes, clustered, rows, rowBytes, null, 0);
  }

  @Override
  public String quoteTable(TableShape shape) {
    return quote(shape.schema()) + "." + quote(shape.name());
  }

  static String quote(String identifier) {
    return '`' + identifier.replace("`", "``") + '`';
  }

  @Override
  public String columnExpression(
      Column mine, TableShape mineShape, Column other, TableShape otherShape) {
    String col = quote(mine.name());
    String base = mine.baseType();
    boolean differ = other != null && !mine.type().equals(other.type());
    String expr;
    if (base.equals("float")) {
      // Widened to the double it holds, whose printing is exact and equals a DOUBLE column's.
      expr = "(" + col + " + 0e0)";
    } else if ((base.equals("decimal") || base.equals("numeric")) && differ && mine.scale() > 0) {
      expr = "TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM " + col + "))";
    } else if (base.equals("bit")) {
      expr = "(" + col + " + 0)";
    } else if ((base.equals("datetime") || base.equals("timestamp")) && differ) {
      expr = "DATE_FORMAT(" + col + ", " + TIMESTAMP_FORMAT + ")";
    } else if (base.equals("time") && differ) {
      expr = "TIME_FORMAT(" + col + ", " + TIME_FORMAT + ")";
    } else if (BINARY.contains(base)) {
      expr = "HEX(" + col + ")";
    } else if (NUMBERS.contains(base)) {
      expr = col;
    } else {
      String text =
          mine.charset() != null && !mine.charset().equalsIgnoreCase("utf8mb4")
              ? "CONVERT(" + col + " USING utf8mb4)"
              : col;
      // Its length in characters, then the text: unambiguous whatever the text holds, and
      // cheaper than QUOTE (measured: 1 against 5 CPU-seconds per million rows). CONCAT_WS
      // skips the NULL text after the length's N.
      return "IFNULL(CHAR_LENGTH(" + col + "), 'N'), " + text;
    }
    return mine.nullable() ? "IFNULL(" + expr + ", 'N')" : expr;
  }

  @Override
  public String rowExpression(List<String> columnExpressions) {
    if (columnExpressions.isEmpty()) {
      return "''";
    }
    return "CONCAT_WS(',', " + String.join(", ", columnExpressions) + ")";
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
                "SELECT CAST(MIN("
                    + k
                    + ") AS CHAR), CAST(MAX("
                    + k
                    + ") AS CHAR) FROM "
                    + t.sql())) {
      rs.next();
      return rs.getString(1) == null ? null : new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  @Override
  public Digest digest(Connection c, TableSide t, KeyRange range)
      throws SQLException, RangeTooLargeException {
    Where w = where(t, range);
    // InnoDB reads a primary key range in key order; otherwise GROUP_CONCAT sorts.
    String sql =
        "SELECT COUNT(*), MD5(GROUP_CONCAT("
            + t.rowExpression()
            + (t.keyOrderedScan() ? "" : " ORDER BY " + keyList(t))
            + " SEPARATOR '\\n')) FROM "
            + t.sql()
            + (t.keyOrderedScan() ? " FORCE INDEX (PRIMARY)" : "")
            + w.sql;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      w.bind(ps, 1);
      Digest d;
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        d = new Digest(rs.getLong(1), rs.getString(2));
      }
      for (SQLWarning warning = ps.getWarnings();
          warning != null;
          warning = warning.getNextWarning()) {
        if (warning.getErrorCode() == CUT_BY_GROUP_CONCAT) {
          throw new RangeTooLargeException(warning.getMessage());
        }
      }
      return d;
    }
  }

  @Override
  public long count(Connection c, TableSide t, KeyRange range) throws SQLException {
    Where w = where(t, range);
    try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + t.sql() + w.sql)) {
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
        "SELECT " + keyTexts(t) + ", MD5(" + t.rowExpression() + ") FROM " + t.sql() + w.sql;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      stream(c, ps);
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
              + " LIMIT 1 OFFSET ?";
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
    // MD5 (a sum, unlike BIT_XOR, also counts duplicate rows; SUM of BIGINT UNSIGNED is DECIMAL).
    String sql =
        "SELECT COUNT(*), CAST(COALESCE(SUM(CAST(CONV(LEFT(MD5("
            + t.rowExpression()
            + "), 16), 16, 10) AS UNSIGNED)), 0) AS CHAR) FROM "
            + t.sql();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return new Digest(rs.getLong(1), rs.getString(2));
    }
  }

  @Override
  public void multisetHashes(Connection c, TableSide t, HashCountSink sink) throws SQLException {
    String sql =
        "SELECT h, COUNT(*) FROM (SELECT MD5("
            + t.rowExpression()
            + ") AS h FROM "
            + t.sql()
            + ") d GROUP BY h ORDER BY BINARY h";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      stream(c, ps);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          sink.accept(rs.getString(1), rs.getLong(2));
        }
      }
    }
  }

  @Override
  public List<String> rowsWithHashes(
      Connection c, TableSide t, Collection<String> hashes, int limit) throws SQLException {
    String marks = String.join(", ", java.util.Collections.nCopies(hashes.size(), "?"));
    StringBuilder display = new StringBuilder();
    for (Column col : t.columns()) {
      display
          .append(display.length() == 0 ? "" : ", ")
          .append("QUOTE(")
          .append(quote(col.name()))
          .append(')');
    }
    String sql =
        "SELECT CONCAT('(', CONCAT_WS(', ', "
            + (display.length() == 0 ? "''" : display)
            + "), ')') FROM "
            + t.sql()
            + " WHERE MD5("
            + t.rowExpression()
            + ") IN ("
            + marks
            + ") LIMIT "
            + limit;
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (String h : hashes) {
        ps.setString(i++, h);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** Rows are streamed rather than buffered whole by the driver. */
  private static void stream(Connection c, Statement st) throws SQLException {
    boolean connectorJ = c.getMetaData().getDriverName().toLowerCase(Locale.ROOT).contains("mysql");
    // MySQL Connector/J streams only with this sentinel; MariaDB Connector/J with any fetch size.
    st.setFetchSize(connectorJ ? Integer.MIN_VALUE : 1000);
  }

  private static String keyList(TableSide t) {
    StringBuilder out = new StringBuilder();
    for (Column k : t.key()) {
      out.append(out.length() == 0 ? "" : ", ").append(quote(k.name()));
    }
    return out.toString();
  }

  /** Key columns as text that reads back to the same key. */
  private static String keyTexts(TableSide t) {
    StringBuilder out = new StringBuilder();
    for (Column k : t.key()) {
      out.append(out.length() == 0 ? "" : ", ").append(keyText(k));
    }
    return out.toString();
  }

  private static String keyText(Column k) {
    String col = quote(k.name());
    String base = k.baseType();
    if (BINARY.contains(base)) {
      return "HEX(" + col + ")";
    }
    if (base.equals("datetime") || base.equals("timestamp")) {
      return "DATE_FORMAT(" + col + ", " + TIMESTAMP_FORMAT + ")";
    }
    if (base.equals("time")) {
      return "TIME_FORMAT(" + col + ", " + TIME_FORMAT + ")";
    }
    if (base.equals("float")) {
      return "CAST(" + col + " + 0e0 AS CHAR)";
    }
    if (NUMBERS.contains(base)) {
      return "CAST(" + col + " AS CHAR)";
    }
    return col;
  }

  private static String placeholder(Column k) {
    return BINARY.contains(k.baseType()) ? "UNHEX(?)" : "?";
  }

  /**
   * A key range as comparisons on the key's columns, the expanded form of a row comparison, which
   * both MySQL and MariaDB turn into index ranges.
   */
  private static Where where(TableSide t, KeyRange range) {
    List<String> clauses = new ArrayList<>();
    List<Object[]> params = new ArrayList<>();
    if (range.lower() != null) {
      clauses.add(compare(t.key(), range.lower(), 0, ">", ">=", params));
    }
    if (range.upper() != null) {
      clauses.add(compare(t.key(), range.upper(), 0, "<", "<", params));
    }
    return new Where(clauses.isEmpty() ? "" : " WHERE " + String.join(" AND ", clauses), params);
  }

  private static String compare(
      List<Column> key,
      List<String> values,
      int i,
      String strict,
      String last,
      List<Object[]> params) {
    Column k = key.get(i);
    String col = quote(k.name());
    if (i == key.size() - 1) {
      params.add(new Object[] {k, values.get(i)});
      return col + " " + last + " " + placeholder(k);
    }
    params.add(new Object[] {k, values.get(i)});
    params.add(new Object[] {k, values.get(i)});
    String rest = compare(key, values, i + 1, strict, last, params);
    return "("
        + col
        + " "
        + strict
        + " "
        + placeholder(k)
        + " OR ("
        + col
        + " = "
        + placeholder(k)
        + " AND "
        + rest
        + "))";
  }

  private record Where(String sql, List<Object[]> params) {
    int bind(PreparedStatement ps, int first) throws SQLException {
      int i = first;
      for (Object[] p : params) {
        bindKey(ps, i++, (Column) p[0], (String) p[1]);
      }
      return i;
    }
  }

  /** Binds a key value as its column's type, so comparisons use the index and stay exact. */
  private static void bindKey(PreparedStatement ps, int i, Column k, String value)
      throws SQLException {
    String base = k.baseType();
    if (INTEGERS.contains(base) || base.equals("decimal") || base.equals("numeric")) {
      ps.setBigDecimal(i, new BigDecimal(value));
    } else if (base.equals("double") || base.equals("real") || base.equals("float")) {
      ps.setDouble(i, Double.parseDouble(value));
    } else {
      ps.setString(i, value);
    }
  }
}
