package dev.switchback.activities.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The checks every {@link DatabaseEngine} must pass against a real server: what the cutover relies
 * on at preflight, at steps 3-4 (fence, then no application writer left), at rollback (unfence) and
 * at finalize (revoke the migration account's writes, end its sessions, refuse an account that does
 * not exist). An engine gets them by adding one subclass that opens sessions on its server; nothing
 * here knows an engine.
 *
 * <p>A subclass:
 *
 * <ul>
 *   <li>starts or reaches its server in a static {@code @BeforeAll} (skipping with a visible
 *       message where the project cannot run that server, failing with "start the lab:
 *       deploy/lab/lab.sh start &lt;engine&gt;" where it can), and prepares a table/collection the
 *       application and the migration account may both write;
 *   <li>implements the hooks below: the engine, a context for the endpoint (admin account, the
 *       application's accounts, the migration account), and sessions opened as the application or
 *       as the migration account;
 *   <li>states how its fence stops a write ({@link #fenceStops()}), whether the migration account
 *       writes through it ({@link #migrationAccountWritesUnderFence()}), and which error is the
 *       fence's ({@link #assertFenceRejection}).
 * </ul>
 *
 * <p>Every test lifts the fence afterwards (through the engine, then {@link #afterContractTest()}
 * for anything else) and closes every session it opened.
 */
public abstract class DatabaseEngineContract {

  /** What an engine's fence does to a write it stops. */
  protected enum FenceStops {
    /** The write fails with the engine's error (permission denied, read-only, session killed). */
    FAILS,
    /** The write waits until the fence is lifted (Redis CLIENT PAUSE WRITE), or fails. */
    BLOCKS
  }

  /**
   * A client session on the endpoint under test, as the application or as the migration account.
   * Each call runs on the session's own connection, so that "this session" is one server session.
   */
  protected interface EngineSession extends AutoCloseable {

    /** One read, after which the session is idle and outside any transaction. */
    void read() throws Exception;

    /** One write, committed (autocommit). */
    void write() throws Exception;

    /** Begins a transaction and writes one row/document/key in it, leaving it open. */
    void beginWriteAndHold() throws Exception;

    /** Commits the transaction {@link #beginWriteAndHold()} left open. */
    void commit() throws Exception;

    /** Whether {@code session} (from {@link DatabaseEngine#listSessions}) is this session. */
    boolean reportedAs(SessionInfo session);

    /** Closes without throwing: the server may already have ended the session. */
    @Override
    void close();
  }

  // ---- hooks ----

  protected abstract DatabaseEngine engine();

  /** The endpoint under test; the same context for every call of one test. */
  protected abstract EngineContext context();

  /** A new session as one of the application's accounts. May fail when the fence is up. */
  protected abstract EngineSession openApplicationSession() throws Exception;

  /** A new session as the migration account. */
  protected abstract EngineSession openMigrationSession() throws Exception;

  /**
   * Asserts that {@code error} (thrown by opening a session or writing, once the fence is up) is
   * the fence's doing: the engine's permission, read-only, locked-account or killed-session error,
   * and not, say, a wrong password or a missing table.
   */
  protected abstract void assertFenceRejection(Throwable error);

  /**
   * Asserts that {@code error} (thrown by a write of the migration account after {@link
   * DatabaseEngine#revokeWrite}) is the engine's permission error.
   */
  protected abstract void assertRevokeRejection(Throwable error);

  /**
   * Asserts that {@code error} (thrown by a migration-account session that was connected when
   * {@link DatabaseEngine#revokeWrite} ran) is the engine's error for a session it ended. By
   * default the fence's errors, which include each engine's killed-session error.
   */
  protected void assertSessionEnded(Throwable error) {
    assertFenceRejection(error);
  }

  /** Gives the migration account back the writes the revoke test took (run after that test). */
  protected abstract void restoreMigrationAccountWrites() throws Exception;

  protected FenceStops fenceStops() {
    return FenceStops.FAILS;
  }

  /**
   * Whether the migration account keeps writing under the fence. When false, the contract checks
   * that it is stopped too, so the limit the engine documents is a tested fact.
   */
  protected boolean migrationAccountWritesUnderFence() {
    return true;
  }

  /** How long a write may take before it counts as blocked by the fence. */
  protected Duration blockedWriteBound() {
    return Duration.ofSeconds(3);
  }

  /**
   * How long the session list may take to reflect a change (a killed session rolling back, a new
   * transaction becoming visible).
   */
  protected Duration sessionsSettleWithin() {
    return Duration.ofSeconds(10);
  }

  /**
   * Why this run cannot reach its server, or null when it can. A server the project cannot run on
   * this machine (SQL Server, Oracle, MongoDB) answers with the unset variable's name, and every
   * contract test is skipped with that message; a server the project's lab runs should not skip but
   * fail in its {@code @BeforeAll} with "start the lab: deploy/lab/lab.sh start <engine>".
   */
  protected String skipReason() {
    return null;
  }

  /** Cleans the engine-specific state after each test, once the fence is lifted. */
  protected void afterContractTest() throws Exception {}

  /**
   * A context for one endpoint as the source of a cutover, for subclasses to return from {@link
   * #context()}, and for other engine tests. The destination is a placeholder the engines never
   * touch.
   */
  public static EngineContext contextFor(
      EndpointSpec endpoint, String migrationAccount, Connections connections) {
    CutoverPlan plan =
        new CutoverPlan(
                "engine-contract",
                new MigrationSpec("dts", "contract", null, null),
                endpoint,
                new EndpointSpec(
                    endpoint.engine(), endpoint.url() + "#unused", null, null, null, null),
                new MigrationAccountSpec(migrationAccount, null, true),
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null)
            .withDefaults();
    return new EngineContext("cutover-engine-contract", plan, Side.SOURCE, connections);
  }

  /** The same endpoint as the plan would give it with {@code applicationAccounts} left empty. */
  protected static EngineContext withoutApplicationAccounts(EngineContext ctx) {
    EndpointSpec e = ctx.endpoint();
    EndpointSpec every =
        new EndpointSpec(e.engine(), e.url(), e.user(), e.password(), List.of(), e.options());
    CutoverPlan p = ctx.plan();
    CutoverPlan plan =
        new CutoverPlan(
            p.name(),
            p.migration(),
            ctx.side() == Side.SOURCE ? every : p.source(),
            ctx.side() == Side.DESTINATION ? every : p.destination(),
            p.migrationAccount(),
            p.router(),
            p.thresholds(),
            p.gates(),
            p.approvers(),
            p.approvals(),
            p.tests(),
            p.validation(),
            p.soak());
    return new EngineContext(ctx.cutoverId(), plan, ctx.side(), ctx.connections());
  }

  // ---- the contract ----

  private final List<EngineSession> opened = Collections.synchronizedList(new ArrayList<>());
  private ExecutorService writes;
  private boolean revoked;

  @BeforeEach
  void startContractTest() {
    String skip = skipReason();
    Assumptions.assumeTrue(skip == null, skip);
    writes = Executors.newCachedThreadPool();
  }

  @AfterEach
  void liftFenceAndCloseSessions() throws Exception {
    if (writes == null) {
      return; // skipped: nothing was started
    }
    try {
      engine().unfenceWrites(context());
    } finally {
      // After the unfence, so that a write blocked by the fence can finish and its session close.
      synchronized (opened) {
        opened.forEach(EngineSession::close);
        opened.clear();
      }
      writes.shutdownNow();
      writes.awaitTermination(10, TimeUnit.SECONDS);
      afterContractTest();
      if (revoked) {
        restoreMigrationAccountWrites();
      }
    }
  }

  @Test
  void fenceStopsWritesOfANewApplicationSession() throws Exception {
    app().write();

    engine().fenceWrites(context());

    assertStopped(
        "a write by an application session opened after the fence",
        () -> {
          app().write();
          return null;
        });
  }

  @Test
  void fenceStopsWritesOfAnApplicationSessionOpenedBeforeIt() throws Exception {
    EngineSession session = app();
    session.write();
    session.read();

    engine().fenceWrites(context());

    assertStopped(
        "a write by an application session that was connected before the fence",
        () -> {
          session.write();
          return null;
        });
  }

  @Test
  void fenceLeavesNoApplicationWriterAndTheirOpenTransactionCannotCommit() throws Exception {
    EngineSession writer = app();
    writer.beginWriteAndHold();
    awaitSessions(
        "the open write transaction listed as a writer before the fence",
        s -> s.writers().stream().anyMatch(writer::reportedAs));

    engine().fenceWrites(context());

    DatabaseEngine.Sessions after =
        awaitSessions(
            "no application writer left after the fence (step 4)", s -> s.writers().isEmpty());
    assertTrue(after.writers().isEmpty(), "writers after the fence: " + after.writers());
    assertStopped(
        "the commit of a transaction that was open when the fence went up",
        () -> {
          writer.commit();
          return null;
        });
  }

  @Test
  void migrationAccountWritesUnderTheFenceWhereTheEngineAllowsIt() throws Exception {
    EngineSession migration = migration();
    migration.write();

    engine().fenceWrites(context());

    if (migrationAccountWritesUnderFence()) {
      migration.write();
      migration().write();
    } else {
      assertStopped(
          "a write by the migration account (this engine's fence stops it too)",
          () -> {
            migration().write();
            return null;
          });
    }
  }

  @Test
  void unfenceRestoresApplicationWrites() throws Exception {
    engine().fenceWrites(context());
    engine().unfenceWrites(context());

    app().write();
    EngineSession tx = app();
    tx.beginWriteAndHold();
    tx.commit();
  }

  @Test
  void fenceAndUnfenceAreIdempotent() throws Exception {
    FenceResult first = engine().fenceWrites(context());
    FenceResult second = engine().fenceWrites(context());
    assertEquals(context().side(), first.side());
    assertEquals(context().side(), second.side());
    assertNotNull(first.method());
    assertFalse(first.method().isBlank(), "the fence says how it fenced");
    assertStopped(
        "an application write after fencing twice",
        () -> {
          app().write();
          return null;
        });

    engine().unfenceWrites(context());
    FenceResult again = engine().unfenceWrites(context());
    assertEquals(context().side(), again.side());
    app().write();
  }

  @Test
  void sessionsShowAMidTransactionWriterAsWriterAndAnIdleReaderNot() throws Exception {
    EngineSession writer = app();
    writer.beginWriteAndHold();
    EngineSession reader = app();
    reader.read();

    DatabaseEngine.Sessions s =
        awaitSessions(
            "the writer among writers and the reader among the other sessions",
            x ->
                x.writers().stream().anyMatch(writer::reportedAs)
                    && x.others().stream().anyMatch(reader::reportedAs));

    assertTrue(
        s.writers().stream().anyMatch(writer::reportedAs),
        "the mid-transaction writer is listed as a writer: " + s);
    assertFalse(
        s.writers().stream().anyMatch(reader::reportedAs),
        "the idle reader is not listed as a writer: " + s.writers());
    assertTrue(
        s.others().stream().anyMatch(reader::reportedAs),
        "the idle reader is listed among the other application sessions: " + s.others());
    for (SessionInfo w : s.writers()) {
      assertTrue(w.writer(), "a session in writers says writer=true: " + w);
    }
    for (SessionInfo o : s.others()) {
      assertFalse(o.writer(), "a session in others says writer=false: " + o);
    }
  }

  @Test
  void sessionsLeaveOutTheMigrationAccountAndSwitchback() throws Exception {
    EngineSession migration = migration();
    migration.beginWriteAndHold();
    EngineSession writer = app();
    writer.beginWriteAndHold();

    // With no application accounts named, every account but the migration account and
    // Switchback's counts as the application's: only the engine's own rule can leave it out.
    EngineContext everyAccount = withoutApplicationAccounts(context());
    DatabaseEngine.Sessions s =
        awaitSessions(
            everyAccount,
            "the application writer listed (so the list is live)",
            x -> x.writers().stream().anyMatch(writer::reportedAs));

    List<SessionInfo> all = new ArrayList<>(s.writers());
    all.addAll(s.others());
    assertFalse(
        all.stream().anyMatch(migration::reportedAs),
        "the migration account's session (mid-transaction) is not listed: " + all);
    assertFalse(
        all.stream().anyMatch(i -> Connections.APPLICATION_NAME.equals(i.application())),
        "Switchback's own sessions are not listed: " + all);
    assertTrue(s.excluded() >= 1, "the migration account's session is counted as excluded: " + s);
    migration.commit();
  }

  @Test
  void preflightHoldsForAnAccountAllowedToFenceAndListSessions() {
    List<PreflightCheck> checks = engine().preflight(context());
    assertFalse(checks.isEmpty(), "preflight checks something");
    assertTrue(
        checks.stream().allMatch(PreflightCheck::ok),
        "every check holds for the contract's admin account: " + checks);
  }

  @Test
  void revokeStopsTheMigrationAccountsWritesKeepsItsReadsAndIsIdempotent() throws Exception {
    migration().write();

    revoked = true;
    String first = engine().revokeWrite(context(), context().migrationAccount());
    String second = engine().revokeWrite(context(), context().migrationAccount());

    assertFalse(first.isBlank(), "the revoke says what it did");
    assertFalse(second.isBlank(), "a repeated revoke says what it found");
    EngineSession after = migration();
    after.read();
    try {
      after.write();
      fail("a write by the migration account succeeded after the revoke: " + first);
    } catch (Exception e) {
      assertRevokeRejection(e);
    }
  }

  @Test
  void revokeEndsTheMigrationAccountsSessionsSoNothingTheyBeganCommits() throws Exception {
    EngineSession idle = migration();
    idle.write();
    idle.read();
    EngineSession open = migration();
    open.beginWriteAndHold();

    revoked = true;
    String done = engine().revokeWrite(context(), context().migrationAccount());

    assertEndedOrRefused(
        "the commit of a transaction the migration account held open at the revoke (" + done + ")",
        open::commit);
    assertEndedOrRefused(
        "a write by a migration-account session connected before the revoke (" + done + ")",
        idle::write);
  }

  @Test
  void revokeOfAnAccountThatDoesNotExistFailsNamingTheField() {
    String misspelt = context().migrationAccount() + "_typo";

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> engine().revokeWrite(context(), misspelt));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType(), f.getMessage());
    assertTrue(f.isNonRetryable(), f.getMessage());
    assertTrue(
        f.getOriginalMessage().contains("migrationAccount.user"),
        "the failure names the plan's field: " + f.getMessage());
  }

  // ---- helpers ----

  /** An application session closed after the test. */
  protected final EngineSession app() throws Exception {
    return track(openApplicationSession());
  }

  /** A migration-account session closed after the test. */
  protected final EngineSession migration() throws Exception {
    return track(openMigrationSession());
  }

  private EngineSession track(EngineSession s) {
    opened.add(s);
    return s;
  }

  /**
   * Runs {@code call} and asserts that it failed: with the permission error or with the error of a
   * session the revoke ended.
   */
  private void assertEndedOrRefused(String what, Executable call) {
    Throwable error = assertThrows(Throwable.class, call, what + " succeeded after the revoke");
    try {
      assertRevokeRejection(error);
    } catch (AssertionError notRefused) {
      try {
        assertSessionEnded(error);
      } catch (AssertionError notEnded) {
        notEnded.addSuppressed(notRefused);
        throw notEnded;
      }
    }
  }

  /**
   * Runs {@code write} and asserts the fence stopped it: it failed with the fence's error, or (for
   * an engine whose fence blocks) it had not finished after {@link #blockedWriteBound()}.
   */
  protected final void assertStopped(String what, Callable<Void> write) throws Exception {
    Future<Void> f = writes.submit(write);
    try {
      f.get(blockedWriteBound().toMillis(), TimeUnit.MILLISECONDS);
      fail(what + " succeeded while the fence was up");
    } catch (ExecutionException e) {
      assertFenceRejection(e.getCause());
    } catch (TimeoutException e) {
      if (fenceStops() == FenceStops.FAILS) {
        fail(
            what
                + " neither failed nor finished within "
                + blockedWriteBound()
                + "; this engine's fence is declared to fail writes, not to block them");
      }
      // Blocked, as this engine's fence does; the unfence after the test releases it.
    }
  }

  /**
   * Lists sessions until {@code condition} holds or {@link #sessionsSettleWithin()} passes, and
   * returns the last list (the caller asserts on it, so a timeout fails with the list in view).
   */
  protected final DatabaseEngine.Sessions awaitSessions(
      String what, Predicate<DatabaseEngine.Sessions> condition) throws InterruptedException {
    return awaitSessions(context(), what, condition);
  }

  private DatabaseEngine.Sessions awaitSessions(
      EngineContext ctx, String what, Predicate<DatabaseEngine.Sessions> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + sessionsSettleWithin().toNanos();
    DatabaseEngine.Sessions s = engine().listSessions(ctx);
    while (!condition.test(s) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      s = engine().listSessions(ctx);
    }
    assertTrue(condition.test(s), what + " within " + sessionsSettleWithin() + "; sessions: " + s);
    return s;
  }
}
