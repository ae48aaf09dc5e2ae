package dev.switchback.demo;

import static dev.switchback.demo.Timelines.assertStepsInOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.messages.values.Outcome;
import dev.switchback.messages.values.Side;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: the real worker against a port-bound Temporal test server, the two PostgreSQL lab
 * clusters with logical replication, and the demo application writing all the time. Every
 * acknowledged write is checked on the side the application ends on (DESIGN.md invariant 2).
 *
 * <p>Run with {@code -Dswitchback.recordHistories=DIR} to keep the histories for {@code
 * CutoverReplayTest}.
 */
class CutoverEndToEndTest {
  private static final String SECRET = "e2e-secret-value-7f3a91";

  @TempDir Path tmp;

  private Demo.Result run(boolean rollback, String name) throws Exception {
    Path secret = tmp.resolve("pg-password");
    Files.writeString(secret, SECRET);
    PostgresDemoLab lab = new PostgresDemoLab("127.0.0.1", 5433, 5434, "file:" + secret);
    DemoOptions options = new DemoOptions("postgres", rollback, false, "alice", 200, 4, "3s", 0);
    Path history = tmp.resolve(name + ".json");
    Demo.Result result = new Demo(lab, options, repository(), System.out).run(history);
    String json = Histories.readable(Files.readString(history));
    // Invariant 4: the plan carries the reference; the value stays in the activities.
    assertTrue(json.length() > 1000, "history was exported");
    assertTrue(json.contains("file:" + secret), "the plan names the secret by reference");
    assertFalse(json.contains(SECRET), "the secret's value reached workflow history");
    // The router's requests were signed and the demo application, which refuses unsigned ones,
    // acted on them: the plan names its key by reference only.
    assertTrue(
        json.contains("\"signingKey\":\"file:") && json.contains("switchback-demo-router-"),
        "the plan names the router's signing key by reference");
    String dir = System.getProperty("switchback.recordHistories");
    if (dir != null) {
      Files.createDirectories(Path.of(dir));
      Files.copy(history, Path.of(dir, "e2e-" + name + ".json"));
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
        "terminateForwardInstance");
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
    // DESIGN.md section 2: the cutover run the other way.
    assertTrue(
        r.timeline().stream()
            .anyMatch(e -> e.step().equals("runTests") && e.outcome().equals("FAILED")));
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
        "resumeApplication",
        "endForwardInstance");
    // The paused forward instance is never resumed, so it is ended: no subscription is left on
    // the destination and no slot on the source keeps WAL for it.
    assertEquals(
        0, count(5434, "pg_subscription WHERE subname = '" + PostgresDemoLab.FORWARD + "'"));
    assertEquals(
        0, count(5433, "pg_replication_slots WHERE slot_name = '" + PostgresDemoLab.FORWARD + "'"));
  }

  private static long count(int port, String fromWhere) throws java.sql.SQLException {
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
        java.sql.ResultSet rs =
            c.createStatement().executeQuery("SELECT count(*) FROM " + fromWhere)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static Path repository() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/lab/lab.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("deploy/lab/lab.sh not found above the working directory");
  }
}
