package dev.switchback.activities.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data validation between two databases of the PostgreSQL server on 127.0.0.1:5432, with planted
 * differences: real ones must be found exactly, rendering-only ones must not be reported.
 */
class DataValidatorPostgresTest {
  static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  // Names of this run's own: the server is shared, and a run must neither drop another's
  // databases nor see its sessions.
  private static final String RUN = java.util.UUID.randomUUID().toString().substring(0, 8);
  static final String SOURCE = "sbval_pg_src_" + RUN;
  static final String DESTINATION = "sbval_pg_dst_" + RUN;

  /** Small ranges and leaves, so that 30,000 rows exercise splitting and narrowing down. */
  static final DataValidator.Options SMALL =
      DataValidator.Options.defaults()
          .withParallelism(3)
          .withTargetRangeRows(2_000)
          .withLeafRows(200)
          .withProgressInterval(Duration.ofMillis(200));

  static final Connections CONNECTIONS = new Connections(new Secrets(Map.of()));

  @BeforeAll
  static void createDatabases() throws SQLException {
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db);
    }
    // Rendering-only differences: the destination's own defaults print timestamps in another
    // zone and style and round floats to 15 digits. A comparison of text printed under each
    // database's defaults would report every row.
    exec(
        "postgres",
        "ALTER DATABASE " + DESTINATION + " SET timezone TO 'Asia/Kathmandu'",
        "ALTER DATABASE " + DESTINATION + " SET datestyle TO 'SQL, DMY'",
        "ALTER DATABASE " + DESTINATION + " SET extra_float_digits TO 0");
    String orders =
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, note text,"
            + " amount numeric(12,2), price float8, ratio %s, created_at timestamptz,"
            + " flag boolean)";
    String fill =
        "INSERT INTO public.orders SELECT g, 'customer ' || (g %% 97), CASE WHEN g %% 5 = 0"
            + " THEN NULL ELSE 'note, \"quoted\" ' || g END, (g %% 1000) / 7.0,"
            + " g::float8 * 0.1::float8 + 0.2::float8, (g %% 13) / 10.0,"
            + " timestamptz '2024-03-10 01:30:00+00' + g * interval '17 minutes 3.25 seconds',"
            + " g %% 2 = 0 FROM generate_series(1, 30000) g";
    // The same values: ratio is real on the source and double precision on the destination,
    // which holds each real's exact value.
    exec(SOURCE, String.format(orders, "real"), String.format(fill, ""));
    exec(
        DESTINATION,
        String.format(orders, "double precision"),
        String.format(fill.replace("(g %% 13) / 10.0", "((g %% 13) / 10.0)::real::float8"), ""));
    // Real differences.
    exec(
        DESTINATION,
        "UPDATE public.orders SET amount = amount + 0.01 WHERE id = 1234",
        "DELETE FROM public.orders WHERE id = 777",
        "INSERT INTO public.orders SELECT 40000, customer, note, amount, price, ratio,"
            + " created_at, flag FROM public.orders WHERE id = 1",
        "UPDATE public.orders SET note = '' WHERE id = 2000",
        // A float changed in its 16th digit: equal when printed with 15 digits.
        "UPDATE public.orders SET price = price + 1e-13 WHERE id = 4321",
        // Adjacent columns, the same characters once joined with commas: only an unambiguous
        // rendering tells them apart.
        "UPDATE public.orders SET customer = 'a', note = 'b,c' WHERE id = 3000");
    exec(SOURCE, "UPDATE public.orders SET customer = 'a,b', note = 'c' WHERE id = 3000");

    for (String db : List.of(SOURCE, DESTINATION)) {
      exec(
          db,
          "CREATE TABLE public.same (id int PRIMARY KEY, v text)",
          "INSERT INTO public.same SELECT g, md5(g::text) FROM generate_series(1, 5000) g",
          // No key at all: compared as a multiset of rows.
          "CREATE TABLE public.nokey (a int, b text)",
          "INSERT INTO public.nokey SELECT g % 50, 'x' || g FROM generate_series(1, 3000) g",
          "INSERT INTO public.nokey VALUES (1, 'dup'), (1, 'dup')",
          // A composite, textual key: ranges come from walking the index.
          "CREATE TABLE public.regions (region text, seq int, payload jsonb,"
              + " PRIMARY KEY (region, seq))",
          "INSERT INTO public.regions SELECT 'r' || (g % 7), g, jsonb_build_object('g', g)"
              + " FROM generate_series(1, 12000) g",
          "CREATE TABLE public.narrow (id int PRIMARY KEY, kept text, dropped text)",
          "INSERT INTO public.narrow SELECT g, 'k', 'd' FROM generate_series(1, 100) g");
    }
    exec(
        DESTINATION,
        "DELETE FROM public.nokey WHERE ctid = (SELECT min(ctid) FROM public.nokey"
            + " WHERE b = 'dup')",
        "INSERT INTO public.nokey VALUES (99, 'only here')",
        "UPDATE public.regions SET payload = '{\"g\": -1}' WHERE region = 'r3' AND seq = 10",
        "ALTER TABLE public.narrow DROP COLUMN dropped");
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec(db, "ANALYZE");
    }
  }

  @AfterAll
  static void dropDatabases() throws SQLException {
    CONNECTIONS.close();
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
  }

  @Test
  void findsExactlyTheChangedMissingAndExtraRowsAndNoRenderingOnlyDifference() {
    ValidationRun run = validate(List.of("public.orders"), "full", SMALL, null, null);
    TableComparison orders = run.report().tables().get(0);
    assertFalse(run.passed());
    assertEquals(30_000, orders.sourceRows());
    assertEquals(30_000, orders.destinationRows());
    assertEquals(1, orders.missing(), orders.toString());
    assertEquals(1, orders.extra(), orders.toString());
    assertEquals(4, orders.changed(), orders.toString());
    assertEquals(
        List.of(
            "missing id=777",
            "extra id=40000",
            "changed id=1234",
            "changed id=2000",
            "changed id=3000",
            "changed id=4321"),
        sorted(run.tables().get(0).differences()),
        orders.toString());
    assertTrue(orders.examples().size() <= 10);
    assertTrue(run.tables().get(0).ranges() > 5, "30,000 rows in ranges of 2,000");
    assertTrue(run.report().detail().contains("public.orders"), run.report().detail());
  }

  @Test
  void theRenderingOnlyDifferencesArePlantedForReal() throws SQLException {
    // Row 1 is the same on both sides (the validator reports it so), yet prints differently.
    // PgJDBC pins DateStyle and the time zone at login, but the destination database's
    // extra_float_digits 0 reaches a JDBC session: 0.30000000000000004 prints as 0.3.
    String price = "SELECT price::text FROM public.orders WHERE id = 1";
    assertEquals("0.30000000000000004", firstColumn(SOURCE, price));
    assertEquals("0.3", firstColumn(DESTINATION, price));
    // A real and a double holding the same value print differently.
    String ratio = "SELECT ratio::text FROM public.orders WHERE id = 1";
    assertEquals("0.1", firstColumn(SOURCE, ratio));
    assertEquals("0.100000001490116", firstColumn(DESTINATION, ratio));
    // libpq clients (psql and tools built on it) take the destination's zone and style.
    assertEquals(
        "{TimeZone=Asia/Kathmandu,\"DateStyle=SQL, DMY\",extra_float_digits=0}",
        firstColumn(
            "postgres",
            "SELECT s.setconfig::text FROM pg_db_role_setting s JOIN pg_database d"
                + " ON d.oid = s.setdatabase WHERE d.datname = '"
                + DESTINATION
                + "'"));
    String created = "SELECT created_at::text FROM public.orders WHERE id = 1";
    assertEquals("2024-03-10 01:47:03.25+00", firstColumn(SOURCE, created));
    assertEquals(
        "2024-03-10 07:32:03.25+05:45",
        firstColumn(DESTINATION, "SET TimeZone TO 'Asia/Kathmandu'", created));
  }

  @Test
  void identicalTablePassesAcrossSeveralRanges() {
    ValidationRun run = validate(List.of("same"), "full", SMALL, null, null);
    assertTrue(run.passed(), run.report().detail());
    assertEquals(5_000, run.report().tables().get(0).sourceRows());
    assertTrue(run.tables().get(0).ranges() >= 2);
    assertTrue(run.report().detail().startsWith("identical"), run.report().detail());
  }

  @Test
  void tableWithoutKeyIsComparedAsMultisetWithAClearNote() {
    ValidationRun run = validate(List.of("public.nokey"), "full", SMALL, null, null);
    TableRun t = run.tables().get(0);
    assertEquals(1, t.comparison().missing(), t.toString());
    assertEquals(1, t.comparison().extra(), t.toString());
    assertEquals(0, t.comparison().changed());
    assertTrue(
        t.notes().stream().anyMatch(n -> n.contains("no primary key")), t.notes().toString());
    assertTrue(t.comparison().examples().contains("missing row (1,dup)"), t.toString());
    assertTrue(t.comparison().examples().contains("extra row (99,\"only here\")"), t.toString());
  }

  @Test
  void compositeTextKeyFindsTheChangedRow() {
    ValidationRun run = validate(List.of("public.regions"), "full", SMALL, null, null);
    TableComparison c = run.report().tables().get(0);
    assertEquals(12_000, c.sourceRows());
    assertEquals(List.of("changed (region=r3, seq=10)"), c.examples(), c.toString());
    assertEquals(0, c.missing() + c.extra());
    assertTrue(run.tables().get(0).ranges() > 2);
  }

  @Test
  void columnMissingOnTheDestinationFailsTheTable() {
    ValidationRun run = validate(List.of("narrow"), "full", SMALL, null, null);
    TableRun t = run.tables().get(0);
    assertFalse(run.passed());
    assertTrue(t.comparison().same(), "the rows' other columns are equal");
    assertEquals(List.of("column dropped is missing on the destination"), t.problems());
  }

  @Test
  void everyTableIsComparedWhenNoneAreListed() {
    ValidationRun run = validate(List.of(), "full", SMALL, null, null);
    assertEquals(
        List.of("public.narrow", "public.nokey", "public.orders", "public.regions", "public.same"),
        run.tables().stream().map(TableRun::table).sorted().toList());
  }

  @Test
  void resumesFromTheLastProgressAfterAnInterruption() {
    AtomicReference<ValidationProgress> last = new AtomicReference<>();
    AtomicInteger reports = new AtomicInteger();
    RuntimeException crash = new IllegalStateException("worker lost");
    RuntimeException thrown =
        assertThrows(
            RuntimeException.class,
            () ->
                validate(
                    List.of("public.orders"),
                    "full",
                    SMALL.withParallelism(1),
                    null,
                    p -> {
                      if (p.rangesDone() >= 4) {
                        throw crash;
                      }
                      last.set(p);
                      reports.incrementAndGet();
                    }));
    assertEquals(crash, thrown, "the listener's exception comes back unchanged");
    ValidationProgress saved = last.get();
    assertEquals(3, saved.rangesDone());
    List<ValidationProgress> beats = new java.util.concurrent.CopyOnWriteArrayList<>();
    ValidationRun resumed =
        validate(
            List.of("public.orders"),
            "full",
            SMALL.withProgressInterval(Duration.ofMillis(10)),
            saved,
            beats::add);
    // Every heartbeat of the resumed attempt, the first ones included, keeps what was done.
    assertTrue(beats.size() > 1);
    assertTrue(
        beats.stream().allMatch(p -> p.rangesDone() >= 3),
        beats.stream().map(ValidationProgress::rangesDone).toList().toString());
    ValidationRun fresh = validate(List.of("public.orders"), "full", SMALL, null, null);
    assertEquals(3, resumed.tables().get(0).resumedRanges());
    TableComparison a = resumed.report().tables().get(0);
    TableComparison b = fresh.report().tables().get(0);
    assertEquals(b.sourceRows(), a.sourceRows());
    assertEquals(b.destinationRows(), a.destinationRows());
    assertEquals(
        List.of(b.missing(), b.extra(), b.changed()), List.of(a.missing(), a.extra(), a.changed()));
    assertEquals(
        sorted(fresh.tables().get(0).differences()), sorted(resumed.tables().get(0).differences()));
  }

  @Test
  void sampleModeComparesAboutATenthOfTheRanges() {
    ValidationRun run = validate(List.of("same"), "sample", SMALL, null, null);
    TableRun t = run.tables().get(0);
    assertTrue(run.passed());
    assertTrue(t.comparison().sourceRows() < 5_000, t.toString());
    assertTrue(t.comparison().sourceRows() > 0, t.toString());
  }

  @Test
  void unknownTableIsRefusedBeforeAnyComparison() {
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> validate(List.of("public.same", "public.nosuch"), "full", SMALL, null, null));
    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().contains("validation.tables[1]"), f.getOriginalMessage());
  }

  @Test
  void differentEngineFamiliesAreRefused() {
    CutoverPlan plan =
        plan(
            endpoint("postgres", SERVER + SOURCE),
            endpoint("mysql", "jdbc:mariadb://127.0.0.1:3306/x"),
            new ValidationSpec(List.of(), "full", true));
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () -> new DataValidator(SMALL).validate(CONNECTIONS, plan, ProgressListener.NONE));
    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().contains("like with like"), f.getOriginalMessage());
  }

  @Test
  void validationSessionsAreNamedSoTheSessionCheckLeavesThemOut() {
    List<String> names = new ArrayList<>();
    validate(
        List.of("public.same"),
        "full",
        SMALL.withProgressInterval(Duration.ofMillis(50)),
        null,
        p -> {
          if (names.isEmpty()) {
            try {
              names.add(
                  firstColumn(
                      "postgres",
                      // Client sessions only: autovacuum works in the database unnamed.
                      "SELECT string_agg(DISTINCT application_name, ',') FROM pg_stat_activity"
                          + " WHERE backend_type = 'client backend' AND datname = '"
                          + SOURCE
                          + "'"));
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          }
        });
    assertEquals(List.of("switchback"), names);
  }

  static ValidationRun validate(
      List<String> tables,
      String mode,
      DataValidator.Options options,
      ValidationProgress resume,
      ProgressListener listener) {
    CutoverPlan plan =
        plan(
            endpoint("postgres", SERVER + SOURCE),
            endpoint("postgres", SERVER + DESTINATION),
            new ValidationSpec(tables, mode, true));
    return new DataValidator(options).run(CONNECTIONS, plan, resume, listener);
  }

  static CutoverPlan plan(EndpointSpec source, EndpointSpec destination, ValidationSpec spec) {
    return new CutoverPlan(
        "validation-test",
        null,
        source,
        destination,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        spec,
        null);
  }

  static EndpointSpec endpoint(String engine, String url) {
    return new EndpointSpec(engine, url, "postgres", null, List.of(), Map.of());
  }

  static List<String> sorted(List<String> examples) {
    List<String> out = new ArrayList<>(examples);
    out.sort(
        (a, b) -> {
          int order = kind(a) - kind(b);
          return order != 0 ? order : a.compareTo(b);
        });
    return out;
  }

  private static int kind(String example) {
    return example.startsWith("missing") ? 0 : example.startsWith("extra") ? 1 : 2;
  }

  static void exec(String db, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", null);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static String firstColumn(String db, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", null);
        Statement st = c.createStatement()) {
      for (int i = 0; i < sql.length - 1; i++) {
        st.execute(sql[i]);
      }
      try (ResultSet rs = st.executeQuery(sql[sql.length - 1])) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
