package dev.switchback.activities.router.pgbouncer;

import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.A;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.B;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.HOST;
import static dev.switchback.activities.router.pgbouncer.PgBouncerLab.databasesFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What preflight checks on each real lab PgBouncer before a cutover: an admin user, an entry
 * PgBouncer reads from the file the router rewrites, a pool mode PAUSE can work with, and a
 * query_wait_timeout the hold fits in.
 */
@Timeout(120)
class PgBouncerPreflightTest {
  private static final String CUTOVER = "cutover-pgb";
  private final PgBouncerRouter router = new PgBouncerRouter(new Secrets(Map.of()));

  @TempDir Path dir;

  @Test
  void theLabPassesEveryCheckOnBothInstances() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      // The switch gate passed automatically, as the demo runs it.
      CutoverPlan plan =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(PgBouncerLab.instance(A), PgBouncerLab.instance(B)), f.db, null, "10s"),
              new GatesSpec(null, new GateSpec("auto", null, "rollback"), null));

      List<PreflightCheck> checks = router.preflight(CUTOVER, plan);

      assertEquals(8, checks.size(), checks.toString());
      assertTrue(checks.stream().allMatch(PreflightCheck::ok), checks.toString());
      PreflightCheck admin = check(checks, A, "admin console");
      assertTrue(admin.detail().contains("'switchback', listed in admin_users"), admin.detail());
      PreflightCheck file = check(checks, B, "databases file");
      assertTrue(
          file.detail().contains("of " + databasesFile(B) + " defines '" + f.db + "'"),
          file.detail());
      assertTrue(file.detail().contains("the source"), file.detail());
      PreflightCheck pool = check(checks, A, "pool mode");
      assertTrue(pool.detail().startsWith("transaction pooling"), pool.detail());
      PreflightCheck wait = check(checks, A, "query_wait_timeout");
      // The lab's 120 s is shorter than all the plan's limits allow between quiesce and resume.
      assertTrue(wait.warning(), wait.toString());
      assertTrue(wait.detail().contains("query_wait_timeout is 2m00s"), wait.detail());
      assertTrue(wait.detail().contains("raise query_wait_timeout to 780 s"), wait.detail());
    }
  }

  @Test
  void aUserOutsideAdminUsersFailsTheConsoleCheckWithTheFix() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      CutoverPlan plan =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(
                      new RouterInstance(
                          "postgres://switchback_app@" + HOST + ":" + A + "/pgbouncer",
                          databasesFile(A).toString())),
                  f.db,
                  null,
                  "10s"));

      List<PreflightCheck> checks = router.preflight(CUTOVER, plan);

      assertEquals(1, checks.size(), checks.toString());
      assertFalse(checks.get(0).ok());
      assertTrue(checks.get(0).detail().contains("refused the console login"), checks.toString());
      assertTrue(checks.get(0).detail().contains("admin_users"), checks.toString());
    }
  }

  @Test
  void aFilePgBouncerDoesNotReadFailsTheFileCheck() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      Path copy = dir.resolve("databases.ini");
      Files.writeString(copy, "[databases]\n" + f.entry.replace("port=5433", "port=5434") + "\n");
      CutoverPlan plan =
          f.plan(
              RouterSpec.pgbouncer(
                  List.of(new RouterInstance(PgBouncerLab.adminUrl(A), copy.toString())),
                  f.db,
                  null,
                  "10s"));

      PreflightCheck file = check(router.preflight(CUTOVER, plan), A, "databases file");

      assertFalse(file.ok());
      assertTrue(file.detail().contains("PgBouncer does not read that file"), file.detail());
      assertTrue(
          file.detail().contains("but PgBouncer uses host=" + HOST + " port=5433"), file.detail());
    }
  }

  @Test
  void sessionPoolingAndATimeoutLongerThanQueryWaitTimeoutFail() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      DatabasesFile.update(
          databasesFile(A), t -> t.replace(f.entry, f.entry + " pool_mode=session"));
      try (AdminConsole c = PgBouncerLab.console(A)) {
        c.command("RELOAD", null);
      }

      List<PreflightCheck> checks = router.preflight(CUTOVER, f.plan("200s", A));

      PreflightCheck pool = check(checks, A, "pool mode");
      assertFalse(pool.ok());
      assertTrue(
          pool.detail().contains("pooled by session (the entry's pool_mode)"), pool.detail());
      assertTrue(pool.detail().contains("until every client disconnects"), pool.detail());
      PreflightCheck wait = check(checks, A, "query_wait_timeout");
      assertFalse(wait.ok());
      assertTrue(wait.detail().contains("shorter than router.timeout 3m20s"), wait.detail());
    }
  }

  @Test
  void anApprovalAtTheSwitchGateLongerThanQueryWaitTimeoutIsAWarning() throws Exception {
    try (PgBouncerLab.Fixture f = new PgBouncerLab.Fixture()) {
      PreflightCheck wait =
          check(router.preflight(CUTOVER, f.plan("10s", A)), A, "query_wait_timeout");

      assertTrue(wait.ok() && wait.warning(), wait.toString());
      assertTrue(
          wait.detail().contains("while the switch gate waits for an approval"), wait.detail());
      assertTrue(wait.detail().contains("gates.switch.mode: auto"), wait.detail());
    }
  }

  private static PreflightCheck check(List<PreflightCheck> checks, int port, String what) {
    String name = "PgBouncer " + HOST + ":" + port;
    return checks.stream()
        .filter(c -> c.check().startsWith(name) && c.check().endsWith(": " + what))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no check " + what + " in " + checks));
  }
}
