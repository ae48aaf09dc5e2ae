package dev.switchback.activities.validation;

import static dev.switchback.activities.validation.DataValidatorPostgresTest.SERVER;
import static dev.switchback.activities.validation.DataValidatorPostgresTest.endpoint;
import static dev.switchback.activities.validation.DataValidatorPostgresTest.exec;
import static dev.switchback.activities.validation.DataValidatorPostgresTest.plan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.ValidationSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The recheck after the switch, on two PostgreSQL databases of 127.0.0.1:5432. The test plays the
 * reverse instance ({@link Settler}): when the validation waits for the source to reach the
 * destination's position, it copies the destination's in-flight rows to the source, as the reverse
 * subscription would. The rows and every read are real.
 */
class DataValidatorRecheckPostgresTest {
  static final String SOURCE = "sbval_re_src";
  static final String DESTINATION = "sbval_re_dst";
  static final Connections CONNECTIONS = new Connections(new Secrets(Map.of()));
  static final DataValidator.Options SMALL =
      DataValidator.Options.defaults()
          .withParallelism(2)
          .withTargetRangeRows(500)
          .withLeafRows(100)
          .withProgressInterval(Duration.ofMillis(200));

  @BeforeEach
  void tables() throws SQLException {
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db);
      exec(
          db,
          "CREATE TABLE orders (id int PRIMARY KEY, v text)",
          "INSERT INTO orders SELECT g, 'v' || g FROM generate_series(1, 3000) g");
    }
    // After the switch the application writes to the destination: a new row and an update that
    // the reverse instance has not carried to the source yet, and a row it keeps updating.
    exec(
        DESTINATION,
        "INSERT INTO orders VALUES (5001, 'new')",
        "UPDATE orders SET v = 'updated' WHERE id = 1500",
        "UPDATE orders SET v = 'hot-0' WHERE id = 2500");
    // A real difference: a stray write that reached the source after the switch.
    exec(SOURCE, "UPDATE orders SET v = 'stray' WHERE id = 700");
  }

  @AfterAll
  static void drop() throws SQLException {
    CONNECTIONS.close();
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
  }

  /** The reverse instance: positions count up; reaching one carries the destination's rows. */
  private static final class ReverseInstance implements Settler {
    final AtomicInteger positions = new AtomicInteger();
    final boolean keepsWritingTheHotRow;

    ReverseInstance(boolean keepsWritingTheHotRow) {
      this.keepsWritingTheHotRow = keepsWritingTheHotRow;
    }

    @Override
    public String position() {
      int p = positions.incrementAndGet();
      try {
        if (keepsWritingTheHotRow) {
          // The application updates the hot row again right after the rows were read.
          exec(DESTINATION, "UPDATE orders SET v = 'hot-" + p + "' WHERE id = 2500");
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return "p" + p;
    }

    @Override
    public boolean reached(String position) {
      try {
        // What the reverse subscription applies: every destination write so far.
        exec(
            SOURCE,
            "INSERT INTO orders VALUES (5001, 'new') ON CONFLICT DO NOTHING",
            "UPDATE orders SET v = 'updated' WHERE id = 1500");
        carryHotRow();
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return true;
    }

    private void carryHotRow() throws SQLException {
      String v;
      try (Connection d = DriverManager.getConnection(SERVER + DESTINATION, "postgres", null);
          Statement st = d.createStatement();
          var rs = st.executeQuery("SELECT v FROM orders WHERE id = 2500")) {
        rs.next();
        v = rs.getString(1);
      }
      exec(SOURCE, "UPDATE orders SET v = '" + v + "' WHERE id = 2500");
    }

    @Override
    public Duration maxWait() {
      return Duration.ofSeconds(5);
    }
  }

  private static ValidationRun validate(Settler settler) {
    return new DataValidator(SMALL)
        .run(
            CONNECTIONS,
            plan(
                endpoint("postgres", SERVER + SOURCE),
                endpoint("postgres", SERVER + DESTINATION),
                new ValidationSpec(List.of("orders"), "full", true)),
            null,
            null,
            settler);
  }

  @Test
  void withoutARecheckRowsInFlightLookLikeDifferences() {
    TableComparison t = validate(null).report().tables().get(0);
    assertEquals(List.of(0L, 1L, 3L), List.of(t.missing(), t.extra(), t.changed()), t.toString());
  }

  @Test
  void rowsInFlightSettleAndOnlyTheStrayWriteOnTheSourceRemains() {
    ValidationRun run = validate(new ReverseInstance(false));

    TableComparison t = run.report().tables().get(0);
    assertFalse(run.passed(), "the stray write on the source is a real difference");
    assertEquals(List.of(0L, 0L, 1L), List.of(t.missing(), t.extra(), t.changed()), t.toString());
    assertEquals(List.of("changed id=700"), run.tables().get(0).differences());
    assertTrue(
        run.report().detail().contains("3 row(s) that differed matched once the source had"),
        run.report().detail());
  }

  @Test
  void aRowTheApplicationKeepsWritingIsNotComparedAndNotCounted() {
    ValidationRun run = validate(new ReverseInstance(true));

    TableComparison t = run.report().tables().get(0);
    assertEquals(List.of(0L, 0L, 1L), List.of(t.missing(), t.extra(), t.changed()), t.toString());
    assertEquals(List.of("changed id=700"), run.tables().get(0).differences());
    assertTrue(
        run.report()
            .detail()
            .contains(
                "1 row(s) changed on the destination during each of 3 rechecks and could not be"
                    + " compared; not counted as differences (e.g. id=2500)"),
        run.report().detail());
    assertTrue(
        run.report().detail().contains("2 row(s) that differed matched"), run.report().detail());
  }

  @Test
  void aProviderWithoutAnExactPositionLeavesTheDifferencesAsTheyWere() {
    ValidationRun run =
        validate(
            new Settler() {
              @Override
              public String position() {
                return null;
              }

              @Override
              public boolean reached(String position) {
                throw new AssertionError("never asked without a position");
              }
            });

    TableComparison t = run.report().tables().get(0);
    assertEquals(List.of(0L, 1L, 3L), List.of(t.missing(), t.extra(), t.changed()), t.toString());
    assertTrue(
        run.report().detail().contains("differences not rechecked: the migration provider has no"),
        run.report().detail());
  }
}
