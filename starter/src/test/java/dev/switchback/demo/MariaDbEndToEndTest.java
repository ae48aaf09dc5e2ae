package dev.switchback.demo;

import static dev.switchback.demo.Timelines.assertStepsInOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end on MariaDB: the real worker against a port-bound Temporal test server, the lab's two
 * MariaDB servers with GTID replication as the forward and reverse instances, and the demo
 * application writing all the time. Every acknowledged write is checked on the side the application
 * ends on (DESIGN.md invariant 2).
 *
 * <p>Run with {@code -Dswitchback.recordHistories=DIR} to keep the histories for replay tests.
 */
class MariaDbEndToEndTest {
  // A quote and a backslash: CHANGE MASTER must quote the replication password right.
  private static final String SECRET = "e2e-repl'secret\\4c8d21";

  @TempDir Path tmp;

  @BeforeAll
  static void labRunning() {
    for (int port : new int[] {3307, 3308}) {
      try (Connection c =
          DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", null)) {
        c.isValid(2);
      } catch (SQLException e) {
        fail("start the lab: deploy/lab/lab.sh start mariadb (127.0.0.1:" + port + ": " + e + ")");
      }
    }
  }

  private Demo.Result run(boolean rollback, String name) throws Exception {
    Path secret = tmp.resolve("replication-password");
    Files.writeString(secret, SECRET);
    MariaDbDemoLab lab = new MariaDbDemoLab("127.0.0.1", 3307, 3308, secret);
    DemoOptions options = new DemoOptions("mariadb", rollback, false, "alice", 200, 4, "3s", 0);
    Path history = tmp.resolve(name + ".json");
    Demo.Result result =
        new Demo(lab, options, CutoverEndToEndTest.repository(), System.out).run(history);
    String json = Histories.readable(Files.readString(history));
    // Invariant 4: the plan carries the reference; the value stays in the activities.
    assertTrue(json.length() > 1000, "history was exported");
    assertTrue(json.contains("file:" + secret), "the plan names the secret by reference");
    assertFalse(json.contains("4c8d21"), "the secret's value reached workflow history");
    String dir = System.getProperty("switchback.recordHistories");
    if (dir != null) {
      Files.createDirectories(Path.of(dir));
      Files.copy(history, Path.of(dir, "e2e-mariadb-" + name + ".json"));
    }
    return result;
  }

  @Test
  void cutoverUnderContinuousWritesLosesAndDuplicatesNoRow() throws Exception {
    Demo.Result r = run(false, "cutover");
    assertEquals(Outcome.COMPLETED, r.outcome(), r.reason());
    assertEquals(Side.DESTINATION, r.applicationTarget());
    assertTrue(r.acknowledgedWrites() > 200, "the application wrote during the cutover");
    assertEquals(0, r.failedWrites(), "no write failed in the application");
    assertEquals(0, r.lostRows(), "acknowledged writes missing on the destination");
    assertEquals(0, r.duplicateRows());
    assertEquals(0, r.carriedBackMissing(), "source rows missing on the destination");
    assertTrue(r.report().validation() != null && r.report().validation().passed());
    assertStepsInOrder(
        r.timeline(),
        "quiesceApplication",
        "fenceWrites",
        "checkSessions",
        "awaitDrained",
        "pauseInstance",
        "syncSequences",
        "startReverseIncremental",
        "pointApplication",
        "resumeApplication",
        "runTests",
        "validateData",
        "terminateReverseInstance",
        "terminateForwardInstance",
        "revokeMigrationAccount");
    // Replication threads write through read_only, so the source stays fenced for the
    // application while the reverse instance runs (DESIGN.md step 7): no unfence before it.
    assertTrue(
        r.timeline().stream().noneMatch(e -> e.step().equals("unfenceSourceForReverse")),
        "the source was unfenced for the reverse instance");
    // Finalize leaves the old source fenced and neither instance behind.
    assertEquals("1", admin(3307, "SELECT @@GLOBAL.read_only"));
    assertFalse(channelExists(3307, MariaDbDemoLab.REVERSE), "reverse instance left");
    assertFalse(channelExists(3308, MariaDbDemoLab.FORWARD), "forward instance left");
  }

  @Test
  void rollbackAfterFailedSmokeTestCarriesTheDestinationsWritesBackToTheSource() throws Exception {
    Demo.Result r = run(true, "rollback");
    assertEquals(Outcome.ROLLED_BACK, r.outcome(), r.reason());
    assertTrue(r.reason().contains("orders-have-currency"), r.reason());
    assertEquals(Side.SOURCE, r.applicationTarget());
    assertEquals(0, r.failedWrites());
    assertEquals(0, r.lostRows(), "acknowledged writes missing on the source after the rollback");
    assertEquals(0, r.duplicateRows());
    assertEquals(0, r.carriedBackMissing(), "destination writes not carried back to the source");
    assertTrue(r.report().tests() != null && !r.report().tests().passed());
    assertTrue(
        r.timeline().stream()
            .anyMatch(e -> e.step().equals("runTests") && e.outcome().equals("FAILED")));
    // DESIGN.md section 2: the cutover run the other way.
    assertStepsInOrder(
        r.timeline(),
        "resumeApplication",
        "quiesceApplication",
        "fenceDestination",
        "checkSessionsOnDestination",
        "awaitReverseDrained",
        "syncSequencesBack",
        "terminateReverseInstance",
        "unfenceSource",
        "pointApplicationToSource",
        "resumeApplication");
    // The application writes on the source again; the destination stays fenced.
    assertEquals("0", admin(3307, "SELECT @@GLOBAL.read_only"));
    assertEquals("1", admin(3308, "SELECT @@GLOBAL.read_only"));
    assertFalse(channelExists(3307, MariaDbDemoLab.REVERSE), "reverse instance left");
  }

  private static String admin(int port, String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", null);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static boolean channelExists(int port, String channel) throws SQLException {
    try (Connection c =
            DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", null);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW ALL SLAVES STATUS")) {
      while (rs.next()) {
        if (channel.equalsIgnoreCase(rs.getString("Connection_name"))) {
          return true;
        }
      }
    }
    return false;
  }
}
