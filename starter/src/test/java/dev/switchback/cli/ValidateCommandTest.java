package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code switchback validate} against two databases of the PostgreSQL server on :5432. */
class ValidateCommandTest {
  static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  // A suffix of this run: concurrent runs of this test (two checkouts) never drop each other's.
  static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
  static final String SOURCE = "sbval_cli_src_" + RUN;
  static final String DESTINATION = "sbval_cli_dst_" + RUN;

  @TempDir static Path dir;

  static Path plan;

  @BeforeAll
  static void setUp() throws SQLException, IOException {
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db);
      exec(
          db,
          "CREATE TABLE items (id int PRIMARY KEY, v text)",
          "INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 1000) g",
          "CREATE TABLE items_diff (id int PRIMARY KEY, v text)",
          "INSERT INTO items_diff SELECT g, 'v' || g FROM generate_series(1, 1000) g");
    }
    exec(DESTINATION, "DELETE FROM items_diff WHERE id = 3");
    plan = dir.resolve("plan.yaml");
    Files.writeString(
        plan,
        String.join(
            "\n",
            "name: cli-validate",
            "migration: {provider: postgres, instance: sb_fwd}",
            "source: {engine: postgres, url: '" + SERVER + SOURCE + "', user: postgres}",
            "destination: {engine: postgres, url: '" + SERVER + DESTINATION + "', user: postgres}",
            "migrationAccount: {user: sb_migration}",
            "approvers: [alice]",
            "approvals: unsigned",
            "validation: {tables: [public.items]}",
            ""));
  }

  @AfterAll
  static void tearDown() throws SQLException {
    for (String db : List.of(SOURCE, DESTINATION)) {
      exec("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
  }

  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new ValidateCommand());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  @Test
  void identicalTablesExitZeroAndPrintPerTableCounts() {
    Result r = run(plan.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("TABLE"), r.out());
    assertTrue(
        r.out().matches("(?s).*public\\.items\\s+1,000\\s+1,000\\s+1\\s+0\\s+0\\s+0.*"), r.out());
    assertTrue(r.out().contains("IDENTICAL identical: 1 table(s), 1,000 rows"), r.out());
  }

  @Test
  void aDifferenceExitsOneAndJsonNamesTheRow() throws IOException {
    Result r = run(plan.toString(), "--tables", "public.items_diff", "--json");
    assertEquals(1, r.exitCode(), r.err() + r.out());
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertEquals(false, doc.get("passed").asBoolean());
    JsonNode table = doc.get("tables").get(0);
    assertEquals("public.items_diff", table.get("table").asText());
    assertEquals(1, table.get("missing").asLong());
    assertEquals(999, table.get("destinationRows").asLong());
    assertEquals("missing id=3", table.get("differences").get(0).asText());
  }

  @Test
  void anInvalidPlanExitsTwoNamingTheField() throws IOException {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(
        bad, Files.readString(plan).replace("migrationAccount", "# migrationAccount"));
    Result r = run(bad.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("migrationAccount.user"), r.err());
  }

  @Test
  void aMissingFileOrModeOrTableExitsTwo() {
    assertEquals(2, run(dir.resolve("nosuch.yaml").toString()).exitCode());
    Result mode = run(plan.toString(), "--mode", "quick", "--json");
    assertEquals(2, mode.exitCode());
    assertTrue(mode.out().contains("validation.mode"), mode.out());
    Result table = run(plan.toString(), "--tables", "public.nosuch");
    assertEquals(2, table.exitCode());
    assertTrue(table.err().contains("validation.tables[0]"), table.err());
  }

  static void exec(String db, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", null);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }
}
