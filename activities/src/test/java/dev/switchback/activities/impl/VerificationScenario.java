package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.VerificationActivities;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.ValidationProgress;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.TestSpec;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
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
    env.registerActivitiesImplementations(
        new VerificationActivitiesImpl(new Registry(), connections));
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
        List.of("changed id=700", "extra id=1001", "missing id=500"),
        orders.examples().stream().sorted().toList());
    TableComparison lines = table(r, "line_items");
    assertEquals(150, lines.sourceRows());
    assertEquals(0, lines.missing());
    assertEquals(0, lines.extra());
    assertEquals(1, lines.changed());
    assertEquals(List.of("changed (order_id=3, line=2)"), lines.examples());
    assertTrue(r.detail().startsWith("2 of 2 table(s) differ"), r.detail());
    assertTrue(r.detail().contains("1 missing, 1 extra, 1 changed"), r.detail());
  }

  @Test
  void validationHeartbeatsItsProgressAndAResumedAttemptSkipsTheTablesDone() throws SQLException {
    List<ValidationProgress> beats = new CopyOnWriteArrayList<>();
    env.setActivityHeartbeatListener(ValidationProgress.class, beats::add);
    CutoverPlan plan = plan(null, List.of("orders"));

    ValidationReport first = activities.validateData("cutover-verify", plan);

    assertFalse(beats.isEmpty(), "the activity heartbeats the validation's progress");
    assertTrue(beats.get(0).tables().get(0).table().endsWith(".orders"), beats.toString());
    TableComparison found = first.tables().get(0);
    assertEquals(List.of(1L, 1L, 1L), List.of(found.missing(), found.extra(), found.changed()));

    // What the last heartbeat of an attempt holds once the table is done (Temporal sends the
    // newest details at most every 8 s, so the test takes them from the validator itself).
    AtomicReference<ValidationProgress> last = new AtomicReference<>();
    new DataValidator().validate(connections, plan, null, last::set);
    assertTrue(last.get().tables().get(0).finished(), last.get().toString());

    try (Connection c = DriverManager.getConnection(url(destinationDb), user(), null);
        Statement st = c.createStatement()) {
      st.execute("UPDATE orders SET customer = 'late' WHERE id = 10");
    }
    // A first attempt reads the table and finds the change planted now.
    ValidationReport fresh = activities.validateData("cutover-verify", plan);
    assertEquals(2, fresh.tables().get(0).changed(), fresh.toString());

    // A retry after a worker restart gets that heartbeat back and does not read the table again:
    // the change is not seen, and the earlier findings are reported as they were.
    env.setHeartbeatDetails(last.get());
    ValidationReport resumed = activities.validateData("cutover-verify", plan);
    TableComparison again = resumed.tables().get(0);
    assertEquals(List.of(1L, 1L, 1L), List.of(again.missing(), again.extra(), again.changed()));
    assertEquals(found.sourceRows(), again.sourceRows());
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
  void aTableWithoutPrimaryKeyIsComparedAsAMultisetWithANote() {
    ValidationReport r =
        activities.validateData("cutover-verify", plan(null, List.of("audit_log", "customers")));

    assertTrue(r.passed(), r.detail());
    assertEquals(
        List.of("audit_log", "customers"),
        r.tables().stream().map(VerificationScenario::bareName).toList());
    assertTrue(r.detail().contains("compared as a multiset of rows"), r.detail());
  }

  @Test
  void anEmptyTableListComparesEveryTable() {
    ValidationReport r = activities.validateData("cutover-verify", plan(null, List.of()));

    assertFalse(r.passed());
    assertEquals(
        List.of("audit_log", "customers", "line_items", "orders"),
        r.tables().stream().map(VerificationScenario::bareName).sorted().toList());
  }

  @Test
  void aMissingTableIsANonRetryablePlanErrorNamingTheField() {
    ActivityFailure e =
        assertThrows(
            ActivityFailure.class,
            () -> activities.validateData("cutover-verify", plan(null, List.of("nope"))));

    ApplicationFailure cause = (ApplicationFailure) e.getCause();
    assertTrue(cause.isNonRetryable());
    assertEquals("InvalidPlan", cause.getType());
    assertTrue(
        cause
            .getOriginalMessage()
            .startsWith("validation.tables[0]: table 'nope' exists on neither"),
        cause.getOriginalMessage());
  }

  @Test
  void preflightSaysWhatValidationWillCompareAndRefusesWhatItCannot() throws SQLException {
    DataValidator validator = new DataValidator();

    String ok = validator.preflight(connections, plan(null, List.of("orders", "audit_log")));
    ApplicationFailure unknown =
        assertThrows(
            ApplicationFailure.class,
            () -> validator.preflight(connections, plan(null, List.of("nope"))));
    try (Connection c = DriverManager.getConnection(url(destinationDb), user(), null);
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE audit_log");
    }
    ApplicationFailure onlySource =
        assertThrows(
            ApplicationFailure.class,
            () -> validator.preflight(connections, plan(null, List.of("orders", "audit_log"))));

    assertTrue(ok.startsWith("full validation of 2 table(s): "), ok);
    assertTrue(ok.contains("orders") && ok.contains("audit_log"), ok);
    assertTrue(unknown.isNonRetryable());
    assertTrue(
        unknown.getOriginalMessage().startsWith("validation.tables[0]: table 'nope'"),
        unknown.getOriginalMessage());
    assertTrue(
        onlySource.getOriginalMessage().contains("audit_log: table does not exist on the"),
        onlySource.getOriginalMessage());
    assertTrue(
        onlySource.getOriginalMessage().startsWith("validation.tables:"),
        onlySource.getOriginalMessage());
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

  /** {@code orders} for {@code public.orders} or {@code sb_verify_src_x.orders}. */
  private static String bareName(TableComparison t) {
    return t.table().substring(t.table().indexOf('.') + 1);
  }

  private static TableComparison table(ValidationReport r, String name) {
    return r.tables().stream()
        .filter(t -> bareName(t).equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + r));
  }
}
