package dev.switchback.activities.impl;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Compares tables row by row: both sides stream their rows ordered by primary key and are merged,
 * so memory stays flat whatever the table size. Keys are ordered byte-wise in SQL ({@code COLLATE
 * "C"} on PostgreSQL, {@code CAST(.. AS BINARY)} on MySQL/MariaDB) because a locale collation
 * orders text keys differently on each side and from Java (ENGINES.md, data validation pitfalls);
 * each stream's order is checked as it is read, so a disagreement is reported, never miscounted.
 *
 * <p>Works with PostgreSQL and MySQL/MariaDB JDBC URLs. A table without a primary key cannot be
 * matched row to row: when named in {@code validation.tables} it fails with that message; when
 * tables are discovered (empty list) it is listed as not compared.
 */
public final class RowByRowValidator implements DataValidator {
  static final int MAX_EXAMPLES = 5;
  private static final int FETCH_SIZE = 1000;
  private static final int PROGRESS_EVERY = 1000;

  @Override
  public ValidationReport validate(CutoverPlan plan, Connections connections, Progress progress) {
    long started = System.nanoTime();
    if (plan.validation() == null) {
      return new ValidationReport(true, List.of(), 0, "no validation section in the plan");
    }
    ValidationSpec spec = plan.validation().withDefaults();
    Dialect srcDialect = Dialect.of("source.url", plan.source());
    Dialect dstDialect = Dialect.of("destination.url", plan.destination());
    List<TableComparison> compared = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if ("sample".equals(spec.mode())) {
      notes.add("mode sample is not implemented by the row-by-row validator: every row compared");
    }
    try (Connection src = connections.connection("source", plan.source());
        Connection dst = connections.connection("destination", plan.destination())) {
      Endpoint source = new Endpoint("source", srcDialect, src);
      Endpoint destination = new Endpoint("destination", dstDialect, dst);
      List<TableRef> tables =
          spec.tables().isEmpty()
              ? discover(source, destination, notes)
              : spec.tables().stream().map(TableRef::parse).toList();
      for (TableRef t : tables) {
        progress.rows(t.text(), 0);
        try {
          compared.add(compareTable(t, source, destination, progress));
        } catch (TableProblem p) {
          problems.add(t.text() + ": " + p.getMessage());
        } catch (SQLException e) {
          problems.add(t.text() + ": cannot be read: " + e.getMessage());
        }
      }
    } catch (SQLException e) {
      // The endpoint is not reachable: a retry may succeed, so this is not a result.
      throw new IllegalStateException("data validation cannot connect: " + e.getMessage(), e);
    }
    List<String> different =
        compared.stream().filter(c -> !c.same()).map(TableComparison::table).toList();
    boolean passed = problems.isEmpty() && different.isEmpty();
    StringBuilder detail = new StringBuilder();
    detail.append(compared.size()).append(" table(s) compared");
    if (!compared.isEmpty()) {
      detail
          .append(": ")
          .append(compared.size() - different.size())
          .append(" same, ")
          .append(different.size())
          .append(" different");
      if (!different.isEmpty()) {
        detail.append(" (").append(String.join(", ", different)).append(')');
      }
    }
    for (String p : problems) {
      detail.append("; not compared: ").append(p);
    }
    for (String n : notes) {
      detail.append("; ").append(n);
    }
    return new ValidationReport(
        passed,
        List.copyOf(compared),
        (System.nanoTime() - started) / 1_000_000,
        detail.toString());
  }

  /** Every base table with a primary key in the source's current schema (database). */
  private static List<TableRef> discover(Endpoint source, Endpoint destination, List<String> notes)
      throws SQLException {
    String srcSchema = source.currentSchema();
    List<String> srcTables = source.tables(srcSchema);
    List<String> dstTables = destination.tables(destination.currentSchema());
    List<TableRef> out = new ArrayList<>();
    List<String> noKey = new ArrayList<>();
    for (String t : srcTables) {
      if (source.primaryKey(srcSchema, t).isEmpty()) {
        noKey.add(t);
      } else {
        out.add(new TableRef(null, t));
      }
    }
    if (!noKey.isEmpty()) {
      notes.add(
          "not compared (no primary key on the source): "
              + String.join(", ", noKey)
              + "; name them in validation.tables to have them reported as failures");
    }
    Set<String> onSource =
        srcTables.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    List<String> onlyDestination =
        dstTables.stream().filter(t -> !onSource.contains(t.toLowerCase(Locale.ROOT))).toList();
    if (!onlyDestination.isEmpty()) {
      notes.add("only on the destination, not compared: " + String.join(", ", onlyDestination));
    }
    if (srcTables.isEmpty()) {
      notes.add("the source's schema " + srcSchema + " has no table");
    }
    return out;
  }

  private static TableComparison compareTable(
      TableRef ref, Endpoint source, Endpoint destination, Progress progress)
      throws SQLException, TableProblem {
    Table s = source.table(ref);
    Table d = destination.table(ref);
    List<String> srcKeys = lower(s.keys());
    List<String> dstKeys = lower(d.keys());
    if (!srcKeys.equals(dstKeys)) {
      throw new TableProblem(
          "primary keys differ: source ("
              + String.join(", ", s.keys())
              + "), destination ("
              + String.join(", ", d.keys())
              + ")");
    }
    Map<String, Column> dstColumns = new LinkedHashMap<>();
    d.columns().forEach(c -> dstColumns.put(c.name().toLowerCase(Locale.ROOT), c));
    Set<String> onlySource = new TreeSet<>();
    List<Column[]> pairs = new ArrayList<>();
    for (Column c : s.columns()) {
      Column other = dstColumns.remove(c.name().toLowerCase(Locale.ROOT));
      if (other == null) {
        onlySource.add(c.name());
      } else {
        pairs.add(new Column[] {c, other});
      }
    }
    if (!onlySource.isEmpty() || !dstColumns.isEmpty()) {
      throw new TableProblem(
          "columns differ: only on the source "
              + onlySource
              + ", only on the destination "
              + dstColumns.values().stream().map(Column::name).toList()
              + "; align the schemas first");
    }
    // Keys first, in key order, then the other columns in the source's order.
    List<Column[]> keyPairs = new ArrayList<>();
    for (String k : srcKeys) {
      for (Column[] p : pairs) {
        if (p[0].name().toLowerCase(Locale.ROOT).equals(k)) {
          keyPairs.add(p);
        }
      }
    }
    List<Column[]> valuePairs =
        pairs.stream()
            .filter(p -> !srcKeys.contains(p[0].name().toLowerCase(Locale.ROOT)))
            .toList();
    List<Column[]> all = new ArrayList<>(keyPairs);
    all.addAll(valuePairs);
    int keyCount = keyPairs.size();
    List<String> keyNames = keyPairs.stream().map(p -> p[0].name()).toList();
    List<String> valueNames = valuePairs.stream().map(p -> p[0].name()).toList();

    long missing = 0;
    long extra = 0;
    long changed = 0;
    List<String> examples = new ArrayList<>();
    try (RowStream a = source.scan(s, column(all, 0), keyCount);
        RowStream b = destination.scan(d, column(all, 1), keyCount)) {
      Object[] ra = a.next();
      Object[] rb = b.next();
      long seen = 0;
      while (ra != null || rb != null) {
        int c = ra == null ? 1 : rb == null ? -1 : compareKeys(ra, rb, keyCount);
        if (c < 0) {
          missing++;
          example(examples, "missing: " + keyText(keyNames, ra));
          ra = a.next();
        } else if (c > 0) {
          extra++;
          example(examples, "extra: " + keyText(keyNames, rb));
          rb = b.next();
        } else {
          List<String> differing = new ArrayList<>();
          for (int i = keyCount; i < ra.length; i++) {
            if (!sameValue(ra[i], rb[i])) {
              differing.add(valueNames.get(i - keyCount));
            }
          }
          if (!differing.isEmpty()) {
            changed++;
            example(
                examples,
                "changed: " + keyText(keyNames, ra) + " (" + String.join(", ", differing) + ")");
          }
          ra = a.next();
          rb = b.next();
        }
        if (++seen % PROGRESS_EVERY == 0) {
          progress.rows(ref.text(), seen);
        }
      }
      return new TableComparison(
          ref.text(), a.count(), b.count(), missing, extra, changed, List.copyOf(examples));
    }
  }

  private static List<Column> column(List<Column[]> pairs, int side) {
    return pairs.stream().map(p -> p[side]).toList();
  }

  private static void example(List<String> examples, String text) {
    if (examples.size() < MAX_EXAMPLES) {
      examples.add(text);
    }
  }

  private static String keyText(List<String> names, Object[] row) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
      if (i > 0) {
        b.append(", ");
      }
      Object v = row[i];
      b.append(names.get(i))
          .append('=')
          .append(v instanceof byte[] bytes ? "0x" + hex(bytes) : String.valueOf(v));
    }
    return b.toString();
  }

  private static String hex(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      b.append(String.format("%02x", x));
    }
    return b.toString();
  }

  private static List<String> lower(List<String> names) {
    return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
  }

  static int compareKeys(Object[] a, Object[] b, int keyCount) {
    for (int i = 0; i < keyCount; i++) {
      int c = compareValue(a[i], b[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  /**
   * The order both sides' SQL produces: numbers numerically, text and bytes byte-wise (UTF-8 byte
   * order is code point order), everything else by its natural order.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static int compareValue(Object a, Object b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
      return x.compareTo(y);
    }
    if (a instanceof String x && b instanceof String y) {
      return compareCodePoints(x, y);
    }
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.compareUnsigned(x, y);
    }
    if (a instanceof Double x && b instanceof Double y) {
      return Double.compare(x, y);
    }
    if (a.getClass() == b.getClass() && a instanceof Comparable) {
      return ((Comparable) a).compareTo(b);
    }
    return compareCodePoints(a.toString(), b.toString());
  }

  /** String.compareTo compares UTF-16 units, which disagrees with byte order above U+FFFF. */
  static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }

  static boolean sameValue(Object a, Object b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a instanceof BigDecimal x && b instanceof BigDecimal y) {
      return x.compareTo(y) == 0;
    }
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    if (a instanceof byte[] || b instanceof byte[]) {
      return false;
    }
    return a.equals(b) || a.toString().equals(b.toString());
  }

  /** The same value the same way on both sides, whatever driver class carried it. */
  static Object normalize(Object v) throws SQLException {
    if (v == null) {
      return null;
    }
    if (v instanceof BigDecimal) {
      return v;
    }
    if (v instanceof BigInteger b) {
      return new BigDecimal(b);
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return BigDecimal.valueOf(((Number) v).longValue());
    }
    if (v instanceof Float || v instanceof Double) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof java.sql.Timestamp t) {
      return t.toLocalDateTime();
    }
    if (v instanceof java.sql.Date d) {
      return d.toLocalDate();
    }
    if (v instanceof java.sql.Time t) {
      return t.toLocalTime();
    }
    if (v instanceof UUID u) {
      return u.toString();
    }
    if (v instanceof java.sql.Array arr) {
      return String.valueOf(arr);
    }
    if (v instanceof java.sql.Clob c) {
      return c.getSubString(1, (int) c.length());
    }
    if (v instanceof java.sql.Blob bl) {
      return bl.getBytes(1, (int) bl.length());
    }
    return v;
  }

  /** A table as the plan names it: {@code schema.table} or {@code table}. */
  record TableRef(String schema, String table) {
    static TableRef parse(String text) {
      int dot = text.indexOf('.');
      return dot < 0
          ? new TableRef(null, text.trim())
          : new TableRef(text.substring(0, dot).trim(), text.substring(dot + 1).trim());
    }

    String text() {
      return schema == null ? table : schema + "." + table;
    }
  }

  record Column(String name, String dataType) {}

  record Table(String schema, String name, List<Column> columns, List<String> keys) {}

  /** A table that cannot be compared, with the reason and the fix. */
  static final class TableProblem extends Exception {
    TableProblem(String message) {
      super(message);
    }
  }

  /** How each engine quotes, orders and streams. */
  enum Dialect {
    POSTGRES,
    MARIADB,
    MYSQL;

    static Dialect of(String field, EndpointSpec endpoint) {
      String url = endpoint == null ? null : endpoint.url();
      if (url != null && url.startsWith("jdbc:postgresql:")) {
        return POSTGRES;
      }
      if (url != null && url.startsWith("jdbc:mariadb:")) {
        return MARIADB;
      }
      if (url != null && url.startsWith("jdbc:mysql:")) {
        return MYSQL;
      }
      throw ApplicationFailure.newNonRetryableFailure(
          field
              + ": data validation compares PostgreSQL and MySQL/MariaDB JDBC URLs only, not '"
              + url
              + "'; remove the validation section for this engine",
          FailureTypes.INVALID_PLAN);
    }

    String quote(String identifier) {
      return this == POSTGRES
          ? "\"" + identifier.replace("\"", "\"\"") + "\""
          : "`" + identifier.replace("`", "``") + "`";
    }

    /** The key's ORDER BY term, byte-wise for text so both sides and Java agree. */
    String orderTerm(Column c) {
      String type = c.dataType().toLowerCase(Locale.ROOT);
      if (this == POSTGRES) {
        return Set.of("text", "character varying", "character", "name").contains(type)
            ? quote(c.name()) + " COLLATE \"C\""
            : quote(c.name());
      }
      return Set.of("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set")
              .contains(type)
          ? "CAST(" + quote(c.name()) + " AS BINARY)"
          : quote(c.name());
    }
  }

  /** One side's connection and dialect. */
  private record Endpoint(String word, Dialect dialect, Connection connection) {

    String currentSchema() throws SQLException {
      String sql = dialect == Dialect.POSTGRES ? "SELECT current_schema()" : "SELECT DATABASE()";
      try (Statement st = connection.createStatement();
          ResultSet rs = st.executeQuery(sql)) {
        String schema = rs.next() ? rs.getString(1) : null;
        if (schema == null) {
          throw new SQLException(
              word
                  + ".url names no database (schema); add it to the URL or name tables as"
                  + " schema.table in validation.tables");
        }
        return schema;
      }
    }

    List<String> tables(String schema) throws SQLException {
      return strings(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND"
              + " table_type = 'BASE TABLE' ORDER BY table_name",
          schema,
          null);
    }

    List<String> primaryKey(String schema, String table) throws SQLException {
      return strings(
          "SELECT kcu.column_name FROM information_schema.table_constraints tc"
              + " JOIN information_schema.key_column_usage kcu"
              + " ON kcu.constraint_schema = tc.constraint_schema"
              + " AND kcu.constraint_name = tc.constraint_name"
              + " AND kcu.table_schema = tc.table_schema AND kcu.table_name = tc.table_name"
              + " WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = ?"
              + " AND tc.table_name = ? ORDER BY kcu.ordinal_position",
          schema,
          table);
    }

    Table table(TableRef ref) throws SQLException, TableProblem {
      String schema = ref.schema() != null ? ref.schema() : currentSchema();
      List<Column> columns = new ArrayList<>();
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT column_name, data_type FROM information_schema.columns"
                  + " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
        ps.setString(1, schema);
        ps.setString(2, ref.table());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(new Column(rs.getString(1), rs.getString(2)));
          }
        }
      }
      if (columns.isEmpty()) {
        throw new TableProblem(
            "not found on the "
                + word
                + " (schema "
                + schema
                + "); check the name in validation.tables (schema.table or table)");
      }
      List<String> keys = primaryKey(schema, ref.table());
      if (keys.isEmpty()) {
        throw new TableProblem(
            "has no primary key on the "
                + word
                + ", so its rows cannot be matched one to one; add a primary key or remove it"
                + " from validation.tables");
      }
      return new Table(schema, ref.table(), List.copyOf(columns), keys);
    }

    private List<String> strings(String sql, String p1, String p2) throws SQLException {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = connection.prepareStatement(sql)) {
        ps.setString(1, p1);
        if (p2 != null) {
          ps.setString(2, p2);
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    }

    RowStream scan(Table t, List<Column> columns, int keyCount) throws SQLException {
      String select =
          columns.stream().map(c -> dialect.quote(c.name())).collect(Collectors.joining(", "));
      String order =
          columns.subList(0, keyCount).stream()
              .map(dialect::orderTerm)
              .collect(Collectors.joining(", "));
      String sql =
          "SELECT "
              + select
              + " FROM "
              + dialect.quote(t.schema())
              + "."
              + dialect.quote(t.name())
              + " ORDER BY "
              + order;
      return new RowStream(this, t.schema() + "." + t.name(), sql, columns.size(), keyCount);
    }
  }

  /** One side's rows in key order, streamed; checks the order it promises. */
  private static final class RowStream implements AutoCloseable {
    private final Endpoint side;
    private final String table;
    private final int width;
    private final int keyCount;
    private final Statement statement;
    private final ResultSet rows;
    private final boolean restoreAutoCommit;
    private Object[] previous;
    private long count;

    RowStream(Endpoint side, String table, String sql, int width, int keyCount)
        throws SQLException {
      this.side = side;
      this.table = table;
      this.width = width;
      this.keyCount = keyCount;
      Connection c = side.connection();
      // PostgreSQL streams with a cursor only inside a transaction; MySQL's driver streams row by
      // row with the MIN_VALUE fetch size, MariaDB's with any positive one.
      this.restoreAutoCommit = side.dialect() == Dialect.POSTGRES && c.getAutoCommit();
      if (restoreAutoCommit) {
        c.setAutoCommit(false);
      }
      Statement st = null;
      try {
        st = c.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
        st.setFetchSize(side.dialect() == Dialect.MYSQL ? Integer.MIN_VALUE : FETCH_SIZE);
        this.rows = st.executeQuery(sql);
        this.statement = st;
      } catch (SQLException e) {
        if (st != null) {
          st.close();
        }
        endTransaction();
        throw e;
      }
    }

    private void endTransaction() throws SQLException {
      if (restoreAutoCommit) {
        Connection c = side.connection();
        c.rollback();
        c.setAutoCommit(true);
      }
    }

    Object[] next() throws SQLException, TableProblem {
      if (!rows.next()) {
        return null;
      }
      Object[] row = new Object[width];
      for (int i = 0; i < width; i++) {
        row[i] = normalize(rows.getObject(i + 1));
      }
      if (previous != null && compareKeys(previous, row, keyCount) >= 0) {
        throw new TableProblem(
            "the "
                + side.word()
                + " returned keys out of the order Switchback compares them in ("
                + Arrays.toString(Arrays.copyOf(previous, keyCount))
                + " before "
                + Arrays.toString(Arrays.copyOf(row, keyCount))
                + " in "
                + table
                + "); this key type cannot be compared row by row");
      }
      previous = row;
      count++;
      return row;
    }

    long count() {
      return count;
    }

    @Override
    public void close() throws SQLException {
      try {
        rows.close();
        statement.close();
      } finally {
        endTransaction();
      }
    }
  }
}
