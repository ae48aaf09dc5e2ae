package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.VerificationActivities;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.TestSpec;
import io.temporal.testing.TestActivityEnvironment;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The verification activities against a real server: two scratch databases with the same tables,
 * then a missing, an extra and a changed row planted on the destination. Each engine's subclass
 * gives the server and its SQL.
 */
abstract class VerificationScenario {
  protected final String suffix = UUID.randomUUID().toString().substring(0, 8);
  protected final String sourceDb = "sb_verify_src_" + suffix;
  protected final String destinationDb = "sb_verify_dst_" + suffix;
  private Connections connections;
  private TestActivityEnvironment env;
  private VerificationActivities activities;

  /** The server's admin JDBC URL (no database, or the maintenance one). */
  abstract String adminUrl();

  abstract String user();

  abstract String url(String database);

  /** The engine name plans use. */
  abstract String engine();

  /** Statements creating the scenario's tables and rows in a database (same on both sides). */
  abstract List<String> schemaAndRows();

  abstract String createDatabase(String name);

  abstract String dropDatabase(String name);

  /** The hint when the server cannot be reached. */
  abstract String unreachable();

  @BeforeEach
  void createScratchDatabases() throws SQLException {
    try (Connection admin = admin();
        Statement st = admin.createStatement()) {
      st.execute(createDatabase(sourceDb));
      st.execute(createDatabase(destinationDb));
    }
    for (String db : List.of(sourceDb, destinationDb)) {
      try (Connection c = DriverManager.getConnection(url(db), user(), null);
          Statement st = c.createStatement()) {
        for (String sql : schemaAndRows()) {
          st.execute(sql);
        }
      }
    }
    try (Connection c = DriverManager.getConnection(url(destinationDb), user(), null);
        Statement st = c.createStatement()) {
      st.execute("DELETE FROM orders WHERE id = 500");
      st.execute("INSERT INTO orders VALUES (1001, 'c9', 99.00, DATE '2025-01-01')");
      st.execute("UPDATE orders SET amount = amount + 0.01 WHERE id = 700");
      st.execute("UPDATE line_items SET sku = 'changed' WHERE order_id = 3 AND line = 2");
    }
    connections = new Connections(new Secrets(Map.of()));
    env = TestActivityEnvironment.newInstance();
    env.registerActivitiesImplementations(new VerificationActivitiesImpl(connections));
    activities = env.newActivityStub(VerificationActivities.class, TestPlans.OPTIONS);
  }

  @AfterEach
  void dropScratchDatabases() throws SQLException {
    if (env != null) {
      env.close();
    }
    if (connections != null) {
      connections.close();
    }
    try (Connection admin = admin();
        Statement st = admin.createStatement()) {
      st.execute(dropDatabase(sourceDb));
      st.execute(dropDatabase(destinationDb));
    }
  }

  private Connection admin() {
    try {
      return DriverManager.getConnection(adminUrl(), user(), null);
    } catch (SQLException e) {
      return fail(unreachable() + ": " + e.getMessage());
    }
  }

  private CutoverPlan plan(List<TestSpec> tests, List<String> tables) {
    return TestPlans.verificationPlan(
        engine(), url(sourceDb), url(destinationDb), user(), tests, tables);
  }

  @Test
  void validationFindsTheMissingTheExtraAndTheChangedRowExactly() {
    ValidationReport r =
        activities.validateData("cutover-verify", plan(null, List.of("orders", "line_items")));

    assertFalse(r.passed());
    TableComparison orders = table(r, "orders");
    assertEquals(1000, orders.sourceRows());
    assertEquals(1000, orders.destinationRows());
    assertEquals(1, orders.missing());
    assertEquals(1, orders.extra());
    assertEquals(1, orders.changed());
    assertEquals(
        List.of("missing: id=500", "changed: id=700 (amount)", "extra: id=1001"),
        orders.examples());
    TableComparison lines = table(r, "line_items");
    assertEquals(150, lines.sourceRows());
    assertEquals(0, lines.missing());
    assertEquals(0, lines.extra());
    assertEquals(1, lines.changed());
    assertEquals(List.of("changed: order_id=3, line=2 (sku)"), lines.examples());
    assertTrue(r.detail().contains("2 different (orders, line_items)"), r.detail());
  }

  @Test
  void textKeysInALocaleCollationAreMatchedNotReportedMissing() {
    ValidationReport r =
        activities.validateData("cutover-verify", plan(null, List.of("customers")));

    assertTrue(r.passed(), r.toString());
    TableComparison customers = table(r, "customers");
    assertTrue(customers.same());
    assertEquals(customers.sourceRows(), customers.destinationRows());
    assertTrue(customers.sourceRows() >= 6);
  }

  @Test
  void aNamedTableWithoutPrimaryKeyFailsWithAClearMessage() {
    ValidationReport r =
        activities.validateData("cutover-verify", plan(null, List.of("audit_log", "customers")));

    assertFalse(r.passed());
    assertEquals(List.of("customers"), r.tables().stream().map(TableComparison::table).toList());
    assertTrue(r.detail().contains("audit_log: has no primary key on the source"), r.detail());
    assertTrue(r.detail().contains("remove it from validation.tables"), r.detail());
  }

  @Test
  void anEmptyTableListComparesEveryTableWithAPrimaryKey() {
    ValidationReport r = activities.validateData("cutover-verify", plan(null, List.of()));

    assertFalse(r.passed());
    assertEquals(
        List.of("customers", "line_items", "orders"),
        r.tables().stream().map(TableComparison::table).sorted().toList());
    assertTrue(r.detail().contains("not compared (no primary key on the source): audit_log"));
  }

  @Test
  void aMissingTableIsNamed() {
    ValidationReport r = activities.validateData("cutover-verify", plan(null, List.of("nope")));

    assertFalse(r.passed());
    assertTrue(r.detail().contains("nope: not found on the source"), r.detail());
  }

  @Test
  void sqlSmokeTestsPassAndFailWithClearDetails() {
    TestReport r =
        activities.runTests(
            "cutover-verify",
            plan(
                List.of(
                    sql("row count", "SELECT count(*) FROM orders", "1000"),
                    sql("wrong count", "SELECT count(*) FROM orders", "999"),
                    sql("runs", "SELECT 1", null),
                    sql("broken", "SELECT * FROM no_such_table", null),
                    new TestSpec(
                        "source side",
                        "sql",
                        "SELECT max(id) FROM orders",
                        null,
                        "1000",
                        null,
                        "source",
                        "5s")),
                null));

    assertFalse(r.passed());
    assertEquals(
        List.of(true, false, true, false, true),
        r.results().stream().map(TestResult::passed).toList());
    assertEquals("expected '999', got '1000'", r.results().get(1).detail());
    assertTrue(r.results().get(3).detail().contains("no_such_table"), r.results().get(3).detail());
    assertTrue(r.results().get(3).detail().startsWith("failed on the destination"));
  }

  private static TestSpec sql(String name, String sql, String expect) {
    return new TestSpec(name, "sql", sql, null, expect, null, "destination", "10s");
  }

  private static TableComparison table(ValidationReport r, String name) {
    return r.tables().stream()
        .filter(t -> t.table().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + r));
  }
}
