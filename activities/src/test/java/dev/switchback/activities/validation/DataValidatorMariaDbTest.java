package dev.switchback.activities.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data validation between two databases of the MariaDB server on 127.0.0.1:3306. Rendering-only
 * differences are planted as column types that hold the same value but print it differently
 * (MariaDB's session time zone cannot differ per database): FLOAT against DOUBLE, DATETIME(6)
 * against TIMESTAMP, latin1 against utf8mb4 text.
 */
class DataValidatorMariaDbTest {
  static final String SERVER = "jdbc:mariadb://127.0.0.1:3306/";
  static final String SOURCE = "sbval_my_src";
  static final String DESTINATION = "sbval_my_dst";

  static final DataValidator.Options SMALL =
      DataValidator.Options.defaults()
          .withParallelism(3)
          .withTargetRangeRows(2_000)
          .withLeafRows(200)
          .withProgressInterval(Duration.ofMillis(200));

  static final Connections CONNECTIONS = new Connections(new Secrets(Map.of()));

  @BeforeAll
  static void createDatabases() throws SQLException {
    exec(
        "",
        "DROP DATABASE IF EXISTS " + SOURCE,
        "DROP DATABASE IF EXISTS " + DESTINATION,
        "CREATE DATABASE " + SOURCE + " CHARACTER SET utf8mb4",
        "CREATE DATABASE " + DESTINATION + " CHARACTER SET utf8mb4");
    exec(
        DESTINATION,
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(100) NOT NULL, note TEXT,"
            + " amount DECIMAL(12,2), price DOUBLE, ratio FLOAT, weight FLOAT,"
            + " created_at TIMESTAMP NULL, city VARCHAR(40) CHARACTER SET latin1, flag BOOLEAN)"
            + " ENGINE=InnoDB",
        "INSERT INTO orders SELECT seq, CONCAT('customer ', seq % 97), IF(seq % 5 = 0, NULL,"
            + " CONCAT('note, \"quoted\" ''', seq)), (seq % 1000) / 7, seq * 0.1e0 + 0.2e0,"
            + " (seq % 13) / 10, 3.141592, TIMESTAMP'2024-03-10 01:30:00'"
            + " + INTERVAL seq * 1023 SECOND, 'Zürich', seq % 2 = 0 FROM seq_1_to_30000");
    exec(
        SOURCE,
        // The same values, declared differently: DOUBLE holding each FLOAT's exact value,
        // DATETIME(6) holding the TIMESTAMP's UTC time, utf8mb4 holding the same characters.
        "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer VARCHAR(100) NOT NULL, note TEXT,"
            + " amount DECIMAL(12,2), price DOUBLE, ratio DOUBLE, weight FLOAT,"
            + " created_at DATETIME(6), city VARCHAR(40) CHARACTER SET utf8mb4, flag BOOLEAN)"
            + " ENGINE=InnoDB",
        "INSERT INTO orders SELECT id, customer, note, amount, price, ratio + 0e0, weight,"
            + " created_at, city, flag FROM "
            + DESTINATION
            + ".orders");
    exec(
        DESTINATION,
        "UPDATE orders SET amount = amount + 0.01 WHERE id = 1234",
        "DELETE FROM orders WHERE id = 777",
        "INSERT INTO orders SELECT 40000, customer, note, amount, price, ratio, weight,"
            + " created_at, city, flag FROM orders WHERE id = 1",
        "UPDATE orders SET note = '' WHERE id = 2000",
        "UPDATE orders SET customer = 'a', note = 'b,c' WHERE id = 3000",
        // Prints as 3.14159 like the source's 3.141592: MariaDB shows a FLOAT with 6 digits.
        "UPDATE orders SET weight = 3.14159 WHERE id = 4321",
        "UPDATE orders SET price = price + 1e-13 WHERE id = 4322");
    exec(SOURCE, "UPDATE orders SET customer = 'a,b', note = 'c' WHERE id = 3000");
    // Its only text column in two character sets: the rows' text hashes to other bytes unless
    // both sides convert to one.
    for (String[] side :
        List.of(new String[] {SOURCE, "utf8mb4"}, new String[] {DESTINATION, "latin1"})) {
      exec(
          side[0],
          "CREATE TABLE cities (id INT PRIMARY KEY, city VARCHAR(40) CHARACTER SET "
              + side[1]
              + ")",
          "INSERT INTO cities SELECT seq, IF(seq % 2 = 0, 'Zürich', 'Genève') FROM seq_1_to_100");
    }
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec(
          db,
          "CREATE TABLE same (id INT PRIMARY KEY, v VARCHAR(40))",
          "INSERT INTO same SELECT seq, MD5(seq) FROM seq_1_to_5000",
          "CREATE TABLE nokey (a INT, b VARCHAR(20))",
          "INSERT INTO nokey SELECT seq % 50, CONCAT('x', seq) FROM seq_1_to_3000",
          "INSERT INTO nokey VALUES (1, 'dup'), (1, 'dup')",
          "CREATE TABLE regions (region VARCHAR(10), seq INT, payload VARCHAR(40),"
              + " PRIMARY KEY (region, seq))",
          "INSERT INTO regions SELECT CONCAT('r', seq % 7), seq, CONCAT('p', seq)"
              + " FROM seq_1_to_12000");
    }
    exec(
        DESTINATION,
        "DELETE FROM nokey WHERE b = 'dup' LIMIT 1",
        "INSERT INTO nokey VALUES (99, 'only here')",
        "UPDATE regions SET payload = 'changed' WHERE region = 'r3' AND seq = 10");
    // Rows that print four times their stored size: a range sized from the stored size prints
    // past max_allowed_packet, where GROUP_CONCAT cuts it.
    StringBuilder columns = new StringBuilder();
    StringBuilder values = new StringBuilder();
    for (int k = 0; k < 100; k++) {
      columns.append(", c").append(k).append(" TINYINT NOT NULL");
      values.append(", -(100 + (seq + ").append(k).append(") % 28)");
    }
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec(
          db,
          "CREATE TABLE wide (id INT PRIMARY KEY" + columns + ") ENGINE=InnoDB",
          "INSERT INTO wide SELECT seq" + values + " FROM seq_1_to_100000",
          "ANALYZE TABLE wide");
    }
    exec(DESTINATION, "UPDATE wide SET c99 = 0 WHERE id = 40000");
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec(db, "ANALYZE TABLE orders, same, nokey, regions");
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    CONNECTIONS.close();
    exec("", "DROP DATABASE IF EXISTS " + SOURCE, "DROP DATABASE IF EXISTS " + DESTINATION);
  }

  @Test
  void findsExactlyTheChangedMissingAndExtraRowsAndNoRenderingOnlyDifference() {
    assertExactDifferences(validate(SERVER, List.of("orders"), SMALL));
  }

  @Test
  void mysqlConnectorFindsTheSameDifferences() {
    assertExactDifferences(validate("jdbc:mysql://127.0.0.1:3306/", List.of("orders"), SMALL));
  }

  private static void assertExactDifferences(ValidationRun run) {
    TableComparison orders = run.report().tables().get(0);
    assertFalse(run.passed());
    assertEquals(30_000, orders.sourceRows());
    assertEquals(30_000, orders.destinationRows());
    assertEquals(
        List.of(
            "missing id=777",
            "extra id=40000",
            "changed id=1234",
            "changed id=2000",
            "changed id=3000",
            "changed id=4321",
            "changed id=4322"),
        DataValidatorPostgresTest.sorted(run.tables().get(0).differences()),
        orders.toString());
    assertEquals(List.of(1L, 1L, 5L), List.of(orders.missing(), orders.extra(), orders.changed()));
    assertTrue(run.tables().get(0).ranges() > 5);
    assertTrue(
        run.tables().get(0).notes().stream().anyMatch(n -> n.contains("column ratio is double")),
        run.tables().get(0).notes().toString());
  }

  @Test
  void theRenderingOnlyDifferencesArePlantedForReal() throws SQLException {
    String row = "SELECT CONCAT_WS('|', ratio, created_at, HEX(city)) FROM orders WHERE id = 1";
    String onSource = firstColumn(SOURCE, row);
    String onDestination = firstColumn(DESTINATION, row);
    assertEquals("0.10000000149011612|2024-03-10 01:47:03.000000|5AC3BC72696368", onSource);
    assertEquals("0.1|2024-03-10 01:47:03|5AFC72696368", onDestination);
    // And FLOAT's own printing hides a real difference.
    assertEquals(
        firstColumn(SOURCE, "SELECT CONCAT(weight) FROM orders WHERE id = 4321"),
        firstColumn(DESTINATION, "SELECT CONCAT(weight) FROM orders WHERE id = 4321"));
    assertNotEquals(
        firstColumn(SOURCE, "SELECT weight + 0e0 FROM orders WHERE id = 4321"),
        firstColumn(DESTINATION, "SELECT weight + 0e0 FROM orders WHERE id = 4321"));
  }

  @Test
  void aRangeTooLargeForOneAggregateIsSplitAndTheChangeStillFound() throws SQLException {
    long packet = Long.parseLong(firstColumn(SOURCE, "SELECT @@max_allowed_packet"));
    long printed =
        Long.parseLong(
            firstColumn(
                SOURCE,
                "SELECT SUM(LENGTH(CONCAT_WS(',', id, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)))"
                    + " * 10 FROM wide WHERE id <= 50000"));
    assertTrue(printed > packet, "the first range prints " + printed + " bytes");
    DataValidator.Options options =
        DataValidator.Options.defaults().withParallelism(2).withLeafRows(200);
    ValidationRun run = validate(SERVER, List.of("wide"), options);
    assertEquals(List.of("changed id=40000"), run.tables().get(0).differences());
    assertEquals(100_000, run.report().tables().get(0).sourceRows());
  }

  @Test
  void sameCharactersInAnotherCharacterSetAreTheSame() {
    ValidationRun run = validate(SERVER, List.of("cities"), SMALL);
    assertTrue(run.passed(), run.report().detail());
    assertEquals(100, run.report().tables().get(0).sourceRows());
  }

  @Test
  void identicalTablePassesWithOneSnapshotPoint() {
    ValidationRun run = validate(SERVER, List.of("same"), SMALL);
    assertTrue(run.passed(), run.report().detail());
    assertEquals(5_000, run.report().tables().get(0).sourceRows());
    assertTrue(run.tables().get(0).ranges() >= 2);
    // Nothing wrote while the sessions opened their snapshots: no note about it.
    assertFalse(run.report().detail().contains("snapshot"), run.report().detail());
  }

  @Test
  void tableWithoutKeyIsComparedAsMultisetWithAClearNote() {
    TableRun t = validate(SERVER, List.of("nokey"), SMALL).tables().get(0);
    assertEquals(List.of(1L, 1L, 0L), counts(t.comparison()));
    assertTrue(
        t.notes().stream().anyMatch(n -> n.contains("no primary key")), t.notes().toString());
    assertTrue(t.comparison().examples().contains("missing row ('1', 'dup')"), t.toString());
    assertTrue(t.comparison().examples().contains("extra row ('99', 'only here')"), t.toString());
  }

  @Test
  void compositeKeyFindsTheChangedRow() {
    ValidationRun run = validate(SERVER, List.of(SOURCE + ".regions"), SMALL);
    TableComparison c = run.report().tables().get(0);
    assertEquals(12_000, c.sourceRows());
    assertEquals(List.of("changed (region=r3, seq=10)"), run.tables().get(0).differences());
    assertTrue(run.tables().get(0).ranges() > 2);
  }

  @Test
  void everyTableOfTheDatabaseIsComparedWhenNoneAreListed() {
    ValidationRun run = validate(SERVER, List.of(), SMALL);
    assertEquals(
        List.of(
            SOURCE + ".cities",
            SOURCE + ".nokey",
            SOURCE + ".orders",
            SOURCE + ".regions",
            SOURCE + ".same",
            SOURCE + ".wide"),
        run.tables().stream().map(TableRun::table).sorted().toList());
    assertNull(
        run.tables().stream()
            .filter(t -> t.table().endsWith(".same") && !t.passed())
            .findAny()
            .orElse(null));
  }

  private static List<Long> counts(TableComparison c) {
    return List.of(c.missing(), c.extra(), c.changed());
  }

  static ValidationRun validate(String server, List<String> tables, DataValidator.Options options) {
    CutoverPlan plan =
        DataValidatorPostgresTest.plan(
            new EndpointSpec("mariadb", server + SOURCE, "root", null, List.of(), Map.of()),
            new EndpointSpec("mariadb", server + DESTINATION, "root", null, List.of(), Map.of()),
            new ValidationSpec(tables, "full", true));
    return new DataValidator(options).run(CONNECTIONS, plan, null, null);
  }

  static void exec(String db, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + db, "root", null);
        Statement st = c.createStatement()) {
      st.execute("SET time_zone = '+00:00'");
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static String firstColumn(String db, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + db, "root", null);
        Statement st = c.createStatement()) {
      st.execute("SET time_zone = '+00:00'");
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
