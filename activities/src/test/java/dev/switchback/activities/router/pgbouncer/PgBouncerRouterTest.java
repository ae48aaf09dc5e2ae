package dev.switchback.activities.router.pgbouncer;

import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.A;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.B;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.DESTINATION_PORT;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.HOST;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.SOURCE_PORT;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.WAIT;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.databasesFile;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.one;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pgbouncer router against the lab's two real PgBouncers and PostgreSQL pair: what a client
 * sees (held, then answered by the destination), what an open transaction does to the PAUSE, and
 * that the rewrite, RELOAD and RESUME do exactly what PgBouncer then reports.
 */
@Timeout(120)
class PgBouncerRouterTest {
  private static final String CUTOVER = "cutover-pgb";
  private final PgBouncerRouter router = new PgBouncerRouter(new Secrets(Map.of()));
  private final ExecutorService clients = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() {
    clients.shutdownNow();
  }

  @Test
  void aQueryIssuedDuringThePauseIsHeldThenAnsweredByTheDestinationOnBothInstances()
      throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("10s", A, B);
      Connection viaA = f.client(A);
      Connection viaB = f.client(B);
      assertEquals("source", one(viaA, "SELECT name FROM side"));
      RouterState before = router.state(CUTOVER, plan);
      assertEquals(Side.SOURCE, before.target());
      assertFalse(before.quiesced());

      RouterState quiesced = router.quiesce(CUTOVER, plan);

      assertTrue(quiesced.quiesced(), quiesced.detail());
      assertTrue(f.paused(A) && f.paused(B), "paused on both before quiesce returned");
      long heldSince = System.nanoTime();
      Future<String> heldA = clients.submit(() -> one(viaA, "SELECT name FROM side"));
      Future<String> heldB = clients.submit(() -> one(viaB, "SELECT name FROM side"));
      Await.until("both clients held", WAIT, () -> f.waiting(A) + f.waiting(B), n -> n >= 2);
      assertFalse(heldA.isDone() || heldB.isDone(), "held, not answered");

      RouterState pointed = router.point(CUTOVER, plan, Side.DESTINATION);
      assertEquals(Side.DESTINATION, pointed.target());
      assertTrue(pointed.quiesced(), "still paused after the point: " + pointed.detail());
      assertFalse(heldA.isDone(), "still held after the point");
      RouterState resumed = router.resume(CUTOVER, plan);
      long heldAtMost = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - heldSince);

      assertEquals("destination", heldA.get(30, TimeUnit.SECONDS), "no error, the destination");
      // The stall PgBouncer measured (maxwait) is what the clients lived: more than nothing, no
      // more than the time since they were sent.
      assertNotNull(resumed.clientStallMs(), resumed.detail());
      assertTrue(
          resumed.clientStallMs() > 0 && resumed.clientStallMs() <= heldAtMost,
          resumed.clientStallMs() + " ms measured, held at most " + heldAtMost + " ms");
      assertEquals("destination", heldB.get(30, TimeUnit.SECONDS));
      assertFalse(resumed.quiesced());
      assertEquals(Side.DESTINATION, resumed.target());
      assertTrue(resumed.detail().contains("2 waiting, the longest for"), resumed.detail());
      assertFalse(f.paused(A) || f.paused(B));
      RouterState after = router.state(CUTOVER, plan);
      assertEquals(Side.DESTINATION, after.target());
      assertFalse(after.quiesced());
    }
  }

  @Test
  void aTransactionLeftOpenFailsThePauseAfterTheTimeoutNamesItAndLeavesTheDatabaseResumed()
      throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("2s", A, B);
      Connection open = f.client(A);
      open.setAutoCommit(false);
      String pid = one(open, "SELECT pg_backend_pid()");

      long started = System.nanoTime();
      ApplicationFailure e =
          assertThrows(ApplicationFailure.class, () -> router.quiesce(CUTOVER, plan));
      long tookMs = (System.nanoTime() - started) / 1_000_000;

      String m = e.getOriginalMessage();
      assertTrue(e.isNonRetryable(), m);
      assertEquals(FailureTypes.ROUTER, e.getType());
      assertTrue(tookMs >= 2000 && tookMs < 30_000, "took " + tookMs + " ms");
      assertTrue(m.contains("router.database '" + f.db + "'"), m);
      assertTrue(m.contains("PAUSE did not finish within router.timeout 2.0s"), m);
      assertTrue(
          m.contains("PgBouncer " + HOST + ":" + A + " (router.instances[0]) still waits"), m);
      assertTrue(m.contains("backend pid " + pid + " on " + HOST + ":" + SOURCE_PORT), m);
      assertTrue(m.contains("application_name 'pgbouncer-lab-client'"), m);
      assertTrue(m.contains("Resumed '" + f.db + "' on PgBouncer " + HOST + ":" + A), m);
      assertTrue(m.contains("PgBouncer " + HOST + ":" + B + " (router.instances[1])"), m);
      assertTrue(m.contains("raise router.timeout"), m);
      assertFalse(f.paused(A) || f.paused(B), "resumed everywhere");
      try (Connection other = f.client(A)) {
        assertEquals("source", one(other, "SELECT name FROM side"), "a client can query");
      }
      assertEquals("source", one(f.client(B), "SELECT name FROM side"));
      open.rollback();
    }
  }

  @Test
  void aRetriedQuiesceFindsThePausePendingAndWaitsForWhatItWaitsFor() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("20s", A, B);
      Pending earlier = pendingPause(f);

      Future<RouterState> retried = clients.submit(() -> router.quiesce(CUTOVER, plan));
      assertFalse(retried.isDone(), "waits for the open transaction");
      earlier.open.commit();

      RouterState quiesced = retried.get(30, TimeUnit.SECONDS);
      assertTrue(quiesced.quiesced());
      assertTrue(
          quiesced.detail().contains("already paused on PgBouncer " + HOST + ":" + A),
          quiesced.detail());
      earlier.end();
      assertTrue(f.paused(A) && f.paused(B));
    }
  }

  @Test
  void aRetriedQuiesceThatTimesOutLeavesAPauseItDidNotSendToTheRollback() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("1s", A);
      Pending earlier = pendingPause(f);

      ApplicationFailure e =
          assertThrows(ApplicationFailure.class, () -> router.quiesce(CUTOVER, plan));

      assertTrue(
          e.getOriginalMessage().contains("Nothing was paused by this call"), e.getMessage());
      assertTrue(f.paused(A), "the rollback's resume ends it, as after any failed quiesce");
      earlier.open.commit();
      earlier.end();
      router.resume(CUTOVER, plan);
      assertFalse(f.paused(A));
    }
  }

  @Test
  void anUnreachableInstanceIsRetriedAndThePauseOnTheOthersUndone() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      int closed;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        closed = s.getLocalPort(); // nobody listens there once it is closed
      }
      CutoverPlan plan =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(
                      PgBouncerLab.instance(A),
                      new RouterInstance(
                          "postgres://switchback@" + HOST + ":" + closed + "/pgbouncer",
                          databasesFile(B).toString())),
                  f.db,
                  null,
                  "10s"));

      RouterUnavailableException e =
          assertThrows(RouterUnavailableException.class, () -> router.quiesce(CUTOVER, plan));

      assertTrue(e.getMessage().contains("cannot reach the admin console"), e.getMessage());
      // Whether A's PAUSE went out before B's refusal came back is a race; either way it is undone.
      assertTrue(
          e.getMessage().contains("Resumed '" + f.db + "' on PgBouncer " + HOST + ":" + A)
              || e.getMessage().contains("Nothing was paused by this call"),
          e.getMessage());
      assertFalse(f.paused(A), "clients are not held while the step waits for its retry");
    }
  }

  /** An open transaction through A, and the PAUSE an earlier attempt sent waiting for it. */
  private record Pending(Connection open, AdminConsole console, Future<?> pause) {
    /** Waits for the PAUSE to answer (after the transaction ended) and closes its console. */
    void end() throws Exception {
      pause.get(30, TimeUnit.SECONDS);
      console.close();
    }
  }

  /** As left by an earlier attempt of the quiesce whose worker died while its PAUSE waited. */
  private Pending pendingPause(PgBouncerLab.Fixture f) throws Exception {
    Connection open = f.client(A);
    open.setAutoCommit(false);
    one(open, "SELECT 1");
    AdminConsole console = PgBouncerLab.console(A);
    Future<?> pause =
        clients.submit(() -> console.command("PAUSE " + AdminConsole.quoted(f.db), null));
    Await.until("the earlier PAUSE pending", WAIT, () -> f.paused(A), p -> p);
    return new Pending(open, console, pause);
  }

  @Test
  void pointRewritesOnlyThatEntryThenPgBouncerConnectsToTheDestination() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("10s", A, B);

      RouterState pointed = router.point(CUTOVER, plan, Side.DESTINATION);

      assertEquals(Side.DESTINATION, pointed.target());
      assertFalse(pointed.quiesced());
      for (int port : new int[] {A, B}) {
        assertEquals(
            List.of(
                f.comment,
                f.db
                    + " = host="
                    + HOST
                    + " port="
                    + DESTINATION_PORT
                    + " dbname="
                    + f.db
                    + " pool_size=3",
                f.neighbourEntry),
            f.lines(port),
            "only the entry's port changed; the comment and the neighbour are as they were");
        assertEquals(
            new Upstream(HOST, DESTINATION_PORT, f.db), Upstream.of(f.row(port)), "PgBouncer");
      }
      try (Connection c = f.client(B)) {
        assertEquals("destination", one(c, "SELECT name FROM side"));
      }
    }
  }

  @Test
  void everyCallRepeatedIsHarmless() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("10s", A, B);

      router.quiesce(CUTOVER, plan);
      RouterState again = router.quiesce(CUTOVER, plan);
      assertTrue(again.detail().contains("already paused on"), again.detail());
      router.point(CUTOVER, plan, Side.DESTINATION);
      RouterState pointedAgain = router.point(CUTOVER, plan, Side.DESTINATION);
      assertTrue(pointedAgain.detail().contains("already said so"), pointedAgain.detail());
      router.resume(CUTOVER, plan);
      RouterState resumedAgain = router.resume(CUTOVER, plan);
      assertTrue(resumedAgain.detail().contains("not paused on"), resumedAgain.detail());
      router.point(CUTOVER, plan, Side.SOURCE);
      router.point(CUTOVER, plan, Side.SOURCE);

      RouterState state = router.state(CUTOVER, plan);
      assertEquals(Side.SOURCE, state.target());
      assertFalse(state.quiesced());
      assertEquals(f.entry, f.lines(A).get(1), "back to the line as it was");
      try (Connection c = f.client(A)) {
        assertEquals("source", one(c, "SELECT name FROM side"));
      }
    }
  }

  @Test
  void stateReadsTargetAndPausedAndNamesInstancesThatDisagree() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan = f.plan("10s", A, B);
      router.quiesce(CUTOVER, plan);
      RouterState paused = router.state(CUTOVER, plan);
      assertEquals(Side.SOURCE, paused.target());
      assertTrue(paused.quiesced(), paused.detail());

      // Only B is moved, by hand: the two no longer say the same.
      router.point(CUTOVER, f.plan("10s", B), Side.DESTINATION);
      ApplicationFailure e =
          assertThrows(ApplicationFailure.class, () -> router.state(CUTOVER, plan));

      String m = e.getOriginalMessage();
      assertTrue(m.contains("the PgBouncer instances disagree on '" + f.db + "'"), m);
      assertTrue(
          m.contains(
              "PgBouncer "
                  + HOST
                  + ":"
                  + A
                  + " (router.instances[0]) sends it to the source (host="
                  + HOST
                  + " port="
                  + SOURCE_PORT),
          m);
      assertTrue(m.contains(":" + B + " (router.instances[1]) sends it to the destination"), m);
    }
  }

  @Test
  void aMissingEntryOrFileFailsNamingTheFieldBeforeAnyFileChanges() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      byte[] a = Files.readAllBytes(databasesFile(A));
      CutoverPlan missingEntry =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(PgBouncerLab.instance(A)), f.db + "_missing", null, "10s"));

      ApplicationFailure noEntry =
          assertThrows(
              ApplicationFailure.class,
              () -> router.point(CUTOVER, missingEntry, Side.DESTINATION));

      assertEquals(FailureTypes.INVALID_PLAN, noEntry.getType());
      assertTrue(noEntry.isNonRetryable());
      assertTrue(
          noEntry
              .getOriginalMessage()
              .contains(
                  "router.database '"
                      + f.db
                      + "_missing': router.instances[0].databasesFile "
                      + databasesFile(A)
                      + " has no [databases] entry '"
                      + f.db
                      + "_missing'"),
          noEntry.getOriginalMessage());

      CutoverPlan missingFile =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(
                      PgBouncerLab.instance(A),
                      new RouterInstance(PgBouncerLab.adminUrl(B), "/nonexistent/databases.ini")),
                  f.db,
                  null,
                  "10s"));
      ApplicationFailure noFile =
          assertThrows(
              ApplicationFailure.class, () -> router.point(CUTOVER, missingFile, Side.DESTINATION));
      assertTrue(
          noFile
              .getOriginalMessage()
              .contains(
                  "router.instances[1].databasesFile /nonexistent/databases.ini does not exist"),
          noFile.getOriginalMessage());

      assertEquals(
          List.of(f.comment, f.entry, f.neighbourEntry), f.lines(A), "instance 0 untouched");
      assertEquals(new String(a, DatabasesFile.RAW).contains(f.entry), true);
      assertEquals(Side.SOURCE, router.state(CUTOVER, f.plan("10s", A, B)).target());
    }
  }
}
