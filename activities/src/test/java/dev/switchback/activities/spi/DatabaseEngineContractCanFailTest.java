package dev.switchback.activities.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.switchback.activities.postgres.PostgresEngine;
import dev.switchback.activities.postgres.PostgresEngineContractTest;
import dev.switchback.activities.support.Jdbc;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.CutoverPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * A contract that cannot fail proves nothing: this runs {@link DatabaseEngineContract} on the
 * PostgreSQL lab with the real PostgreSQL engine broken on purpose, and checks that exactly the
 * tests guarding the broken behaviour fail.
 */
class DatabaseEngineContractCanFailTest {

  /** The PostgreSQL contract run, its engine broken on purpose by each subclass. */
  @ExtendWith(OnlyInCanFailRuns.class)
  abstract static class BrokenRun extends PostgresEngineContractTest {
    /** The broken runs wait for sessions that never settle; no need to wait long. */
    @Override
    protected Duration sessionsSettleWithin() {
      return Duration.ofSeconds(2);
    }
  }

  /** The real engine, each call passed on; a broken run overrides one of them. */
  static class Delegating implements DatabaseEngine {
    private final DatabaseEngine real = new PostgresEngine();

    @Override
    public String name() {
      return real.name();
    }

    @Override
    public Sessions listSessions(EngineContext ctx) {
      return real.listSessions(ctx);
    }

    @Override
    public FenceResult fenceWrites(EngineContext ctx) {
      return real.fenceWrites(ctx);
    }

    @Override
    public FenceResult unfenceWrites(EngineContext ctx) {
      return real.unfenceWrites(ctx);
    }

    @Override
    public String revokeWrite(EngineContext ctx, String account) {
      return real.revokeWrite(ctx, account);
    }

    @Override
    public List<PreflightCheck> preflight(EngineContext ctx) {
      return real.preflight(ctx);
    }
  }

  /** A fence that does nothing. */
  static class FenceDoesNothing extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public FenceResult fenceWrites(EngineContext ctx) {
          return new FenceResult(ctx.side(), "nothing", 0, "broken on purpose");
        }
      };
    }
  }

  /** A revoke that changes nothing. */
  static class RevokeDoesNothing extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public String revokeWrite(EngineContext ctx, String account) {
          return "nothing revoked (broken on purpose)";
        }
      };
    }
  }

  /**
   * The revoke as it was before issue 11: REVOKE the table writes, and nothing else: no session is
   * ended, and an account that does not exist is not noticed (PostgreSQL's REVOKE fails on it with
   * its own error, not as a mistake in the plan).
   */
  static class RevokeOnly extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public String revokeWrite(EngineContext ctx, String account) {
          try (Connection c = ctx.connection()) {
            c.setAutoCommit(true);
            Jdbc.exec(
                c,
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM \""
                    + account
                    + "\"");
            return "revoked (broken on purpose: sessions left open)";
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        }
      };
    }
  }

  /** A preflight that finds a check failing on a server where all hold. */
  static class PreflightFindsAProblem extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public List<PreflightCheck> preflight(EngineContext ctx) {
          List<PreflightCheck> checks = new ArrayList<>(super.preflight(ctx));
          checks.add(new PreflightCheck("broken on purpose", false, "always fails"));
          return checks;
        }
      };
    }
  }

  /** A session list that never sees a writer. */
  static class SeesNoWriters extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public Sessions listSessions(EngineContext ctx) {
          Sessions s = super.listSessions(ctx);
          List<SessionInfo> all = new ArrayList<>(s.others());
          for (SessionInfo w : s.writers()) {
            all.add(
                new SessionInfo(
                    w.id(), w.user(), w.client(), w.application(), w.state(), false, w.detail()));
          }
          return new Sessions(List.of(), all, s.excluded());
        }
      };
    }
  }

  /** A session list that counts the migration account as the application's. */
  static class ListsTheMigrationAccount extends BrokenRun {
    @Override
    protected DatabaseEngine engine() {
      return new Delegating() {
        @Override
        public Sessions listSessions(EngineContext ctx) {
          return super.listSessions(withoutMigrationAccount(ctx));
        }
      };
    }
  }

  private static EngineContext withoutMigrationAccount(EngineContext ctx) {
    CutoverPlan p = ctx.plan();
    CutoverPlan plan =
        new CutoverPlan(
            p.name(),
            p.migration(),
            p.source(),
            p.destination(),
            null,
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

  /**
   * Keeps the broken runs out of the build's own test run (Surefire discovers nested classes too):
   * they run only when {@link #failedTests} launches them.
   */
  static class OnlyInCanFailRuns implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(CAN_FAIL_RUN).isPresent()
          ? ConditionEvaluationResult.enabled("launched by DatabaseEngineContractCanFailTest")
          : ConditionEvaluationResult.disabled(
              "a contract run broken on purpose; DatabaseEngineContractCanFailTest launches it");
    }
  }

  private static final String CAN_FAIL_RUN = "switchback.contract.canFailRun";

  @Test
  void aFenceThatDoesNothingFailsTheFenceTests() {
    assertEquals(
        Set.of(
            "fenceStopsWritesOfANewApplicationSession",
            "fenceStopsWritesOfAnApplicationSessionOpenedBeforeIt",
            "fenceLeavesNoApplicationWriterAndTheirOpenTransactionCannotCommit",
            "fenceAndUnfenceAreIdempotent"),
        failedTests(FenceDoesNothing.class));
  }

  @Test
  void aSessionListBlindToWritersFailsTheSessionTests() {
    assertEquals(
        Set.of(
            "fenceLeavesNoApplicationWriterAndTheirOpenTransactionCannotCommit",
            "sessionsShowAMidTransactionWriterAsWriterAndAnIdleReaderNot",
            "sessionsLeaveOutTheMigrationAccountAndSwitchback"),
        failedTests(SeesNoWriters.class));
  }

  @Test
  void aSessionListThatKeepsTheMigrationAccountFailsTheExclusionTest() {
    assertEquals(
        Set.of("sessionsLeaveOutTheMigrationAccountAndSwitchback"),
        failedTests(ListsTheMigrationAccount.class));
  }

  @Test
  void aRevokeThatDoesNothingFailsTheRevokeTests() {
    assertEquals(
        Set.of(
            "revokeEndsTheMigrationAccountsSessionsSoNothingTheyBeganCommits",
            "revokeOfAnAccountThatDoesNotExistFailsNamingTheField",
            "revokeStopsTheMigrationAccountsWritesKeepsItsReadsAndIsIdempotent"),
        failedTests(RevokeDoesNothing.class));
  }

  @Test
  void theRevokeAsItWasBeforeIssue11FailsTheSessionAndUnknownAccountTests() {
    assertEquals(
        Set.of(
            "revokeEndsTheMigrationAccountsSessionsSoNothingTheyBeganCommits",
            "revokeOfAnAccountThatDoesNotExistFailsNamingTheField"),
        failedTests(RevokeOnly.class));
  }

  @Test
  void aFailingPreflightCheckFailsThePreflightTest() {
    assertEquals(
        Set.of("preflightHoldsForAnAccountAllowedToFenceAndListSessions"),
        failedTests(PreflightFindsAProblem.class));
  }

  private static Set<String> failedTests(Class<?> contractRun) {
    Set<String> failed = new TreeSet<>();
    Set<String> succeeded = new TreeSet<>();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request()
            .selectors(selectClass(contractRun))
            .configurationParameter(CAN_FAIL_RUN, "true")
            .build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (!id.isTest()) {
              if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failed.add(
                    "(container " + id.getDisplayName() + ": " + result.getThrowable() + ")");
              }
              return;
            }
            String name = id.getDisplayName().replace("()", "");
            (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? succeeded : failed)
                .add(name);
          }
        });
    assertEquals(
        12, failed.size() + succeeded.size(), "all contract tests ran: " + failed + succeeded);
    return failed;
  }
}
