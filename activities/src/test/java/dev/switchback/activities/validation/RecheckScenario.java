package dev.switchback.activities.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The recheck after the switch on two databases of one real server. The test plays the reverse
 * instance ({@link Settler}): when the validation waits for the source to reach the destination's
 * position, it copies the destination's in-flight rows to the source, as the reverse instance
 * would. The rows and every read are real. Each engine's subclass gives the server and its SQL.
 */
abstract class RecheckScenario {
  private final Connections connections = new Connections(new Secrets(Map.of()));

  /** The server's JDBC URL without a database. */
  abstract String server();

  abstract String user();

  abstract String engine();

  abstract String sourceDb();

  abstract String destinationDb();

  /** The database to connect to for CREATE/DROP DATABASE. */
  abstract String adminDb();

  abstract List<String> recreate(String db);

  abstract String drop(String db);

  /** An INSERT of (id, v) that does nothing when the row exists. */
  abstract String insertIfMissing(int id, String v);

  @BeforeEach
  void tables() throws SQLException {
    for (String db : List.of(sourceDb(), destinationDb())) {
      exec(adminDb(), recreate(db).toArray(String[]::new));
      exec(db, "CREATE TABLE orders (id int PRIMARY KEY, v varchar(100))");
      StringBuilder rows = new StringBuilder("INSERT INTO orders VALUES ");
      for (int i = 1; i <= 3000; i++) {
        rows.append(i == 1 ? "" : ", ").append("(").append(i).append(", 'v").append(i).append("')");
      }
      exec(db, rows.toString());
    }
    // After the switch the application writes to the destination: a new row and an update that
    // the reverse instance has not carried to the source yet, and a row it keeps updating.
    exec(
        destinationDb(),
        "INSERT INTO orders VALUES (5001, 'new')",
        "UPDATE orders SET v = 'updated' WHERE id = 1500",
        "UPDATE orders SET v = 'hot-0' WHERE id = 2500");
    // A real difference: a stray write that reached the source after the switch.
    exec(sourceDb(), "UPDATE orders SET v = 'stray' WHERE id = 700");
  }

  @AfterEach
  void drop() throws SQLException {
    connections.close();
    for (String db : List.of(sourceDb(), destinationDb())) {
      exec(adminDb(), drop(db));
    }
  }

  /** The reverse instance: positions count up; reaching one carries the destination's rows. */
  private final class ReverseInstance implements Settler {
    final AtomicInteger positions = new AtomicInteger();
    final boolean keepsWritingTheHotRow;

    ReverseInstance(boolean keepsWritingTheHotRow) {
      this.keepsWritingTheHotRow = keepsWritingTheHotRow;
    }

    @Override
    public String position() {
      int p = positions.incrementAndGet();
      if (keepsWritingTheHotRow) {
        // The application updates the hot row again right after the rows were read.
        exec(destinationDb(), "UPDATE orders SET v = 'hot-" + p + "' WHERE id = 2500");
      }
      return "p" + p;
    }

    @Override
    public boolean reached(String position) {
      // What the reverse instance applies: every destination write so far.
      exec(
          sourceDb(),
          insertIfMissing(5001, "new"),
          "UPDATE orders SET v = 'updated' WHERE id = 1500",
          "UPDATE orders SET v = '" + hotRowOnTheDestination() + "' WHERE id = 2500");
      return true;
    }

    @Override
    public Duration maxWait() {
      return Duration.ofSeconds(5);
    }
  }

  private String hotRowOnTheDestination() {
    try (Connection d = DriverManager.getConnection(server() + destinationDb(), user(), null);
        Statement st = d.createStatement();
        ResultSet rs = st.executeQuery("SELECT v FROM orders WHERE id = 2500")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private ValidationRun validate(Settler settler) {
    CutoverPlan plan =
        DataValidatorPostgresTest.plan(
            endpoint(sourceDb()),
            endpoint(destinationDb()),
            new ValidationSpec(List.of("orders"), "full", true));
    return new DataValidator(DataValidatorPostgresTest.SMALL)
        .run(connections, plan, null, null, settler);
  }

  private EndpointSpec endpoint(String db) {
    return new EndpointSpec(engine(), server() + db, user(), null, List.of(), Map.of());
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
  void aTableEmptyOnTheDestinationIsNotReadIntoMemoryForARecheck() {
    exec(destinationDb(), "DELETE FROM orders");

    ValidationRun run =
        validate(
            new Settler() {
              @Override
              public String position() {
                throw new AssertionError("nothing small enough to recheck");
              }

              @Override
              public boolean reached(String position) {
                throw new AssertionError("nothing small enough to recheck");
              }
            });

    TableComparison t = run.report().tables().get(0);
    assertEquals(3000, t.missing(), t.toString());
    assertTrue(
        run.report().detail().contains("ranges too large to read row by row"),
        run.report().detail());
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

  void exec(String db, String... sql) {
    try (Connection c = DriverManager.getConnection(server() + db, user(), null);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(db + ": " + e.getMessage(), e);
    }
  }
}
