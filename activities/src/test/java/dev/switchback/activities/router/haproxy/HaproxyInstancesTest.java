package dev.switchback.activities.router.haproxy;

import static dev.switchback.activities.router.haproxy.HaproxyLab.TCP;
import static dev.switchback.activities.router.haproxy.HaproxyLab.baseline;
import static dev.switchback.activities.router.haproxy.HaproxyLab.plan;
import static dev.switchback.activities.router.haproxy.HaproxyLab.raw;
import static dev.switchback.activities.router.haproxy.HaproxyLab.word;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several HAProxy instances treated as one, a runtime API below level admin, and the preflight: the
 * lab's HAProxy beside one the test starts itself (Unix sockets only, backend {@code test_mariadb}
 * with the lab's MariaDB servers, and {@code test_backup} whose third server is a backup).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HaproxyInstancesTest {
  private static final String CUTOVER = "cutover-orders";
  private static final String BACKEND = HaproxyLab.Engine.MARIADB.backend;
  @TempDir static Path dir;
  private static OwnHaproxy own;
  private final HaproxyRouter router = new HaproxyRouter();

  @BeforeAll
  static void startOwn() throws Exception {
    HaproxyLab.requireLab();
    own = OwnHaproxy.start(dir);
  }

  @AfterAll
  static void stopOwn() {
    if (own != null) {
      own.close();
    }
  }

  @BeforeEach
  @AfterEach
  void baselines() {
    baseline(TCP, BACKEND);
    baseline(own.adminUrl, BACKEND);
  }

  @Test
  void severalInstancesAreQuiescedPointedAndReadAsOne() {
    CutoverPlan plan = plan(BACKEND, TCP, own.adminUrl);

    assertEquals(Side.SOURCE, router.state(CUTOVER, plan).target());
    router.quiesce(CUTOVER, plan);
    for (String url : List.of(TCP, own.adminUrl)) {
      assertEquals("maint", word(url, BACKEND, "src"), url);
      assertEquals("maint", word(url, BACKEND, "dst"), url);
    }
    router.point(CUTOVER, plan, Side.DESTINATION);
    router.resume(CUTOVER, plan);

    for (String url : List.of(TCP, own.adminUrl)) {
      assertEquals("maint", word(url, BACKEND, "src"), url);
      assertEquals("ready", word(url, BACKEND, "dst"), url);
    }
    assertEquals(Side.DESTINATION, router.state(CUTOVER, plan).target());
  }

  @Test
  void instancesThatDisagreeAreAnErrorThatSaysWhich() {
    CutoverPlan plan = plan(BACKEND, TCP, own.adminUrl);
    router.quiesce(CUTOVER, plan);
    router.point(CUTOVER, plan, Side.DESTINATION);
    assertTrue(raw(own.adminUrl, "set server test_mariadb/dst state maint").isBlank());

    ApplicationFailure f = HaproxyLab.nonRetryable(() -> router.state(CUTOVER, plan));
    ApplicationFailure r = HaproxyLab.nonRetryable(() -> router.resume(CUTOVER, plan));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertEquals(
        "router.instances: the HAProxy instances disagree about backend test_mariadb:"
            + " tcp://127.0.0.1:9999: src (source) maint, dst (destination) ready; "
            + own.adminUrl
            + ": src (source) maint, dst (destination) maint",
        f.getOriginalMessage().substring(0, f.getOriginalMessage().indexOf(" (fix: ")));
    assertEquals(f.getOriginalMessage(), r.getOriginalMessage());
  }

  @Test
  void aRuntimeApiBelowLevelAdminIsRefusedBeforeAnyInstanceChanges() {
    CutoverPlan plan = plan(BACKEND, TCP, own.userUrl);

    ApplicationFailure q = HaproxyLab.nonRetryable(() -> router.quiesce(CUTOVER, plan));
    ApplicationFailure p =
        HaproxyLab.nonRetryable(() -> router.point(CUTOVER, plan, Side.DESTINATION));

    for (ApplicationFailure f : List.of(q, p)) {
      assertEquals(FailureTypes.PERMISSION, f.getType());
      assertTrue(
          f.getOriginalMessage()
              .startsWith(
                  "router.instances[1].url: HAProxy at "
                      + own.userUrl
                      + " answers level 'user' to show cli level"),
          f.getOriginalMessage());
      assertTrue(f.getOriginalMessage().contains("level admin"), f.getOriginalMessage());
    }
    // Reading is allowed at level user.
    assertEquals(Side.SOURCE, router.state(CUTOVER, plan).target());
    assertEquals("ready", word(TCP, BACKEND, "src"));
    assertEquals("maint", word(TCP, BACKEND, "dst"));
  }

  @Test
  void preflightHoldsOnTheLabsBaselineAndChangesNothing() {
    List<PreflightCheck> checks = router.preflight(CUTOVER, plan(BACKEND, TCP, own.adminUrl));

    assertEquals(8, checks.size(), checks.toString());
    assertTrue(checks.stream().allMatch(c -> c.ok() && !c.warning()), checks.toString());
    assertEquals(
        List.of(
            "haproxy tcp://127.0.0.1:9999: who can reach the runtime API",
            "haproxy tcp://127.0.0.1:9999: runtime API level admin",
            "haproxy tcp://127.0.0.1:9999: backend and servers",
            "haproxy tcp://127.0.0.1:9999: source ready, destination in maint"),
        checks.subList(0, 4).stream().map(PreflightCheck::check).toList());
    assertEquals("ready", word(TCP, BACKEND, "src"));
    assertEquals("maint", word(TCP, BACKEND, "dst"));
  }

  @Test
  void preflightFailsASocketBelowAdminADestinationAlreadyOpenAndABackupServer() {
    assertTrue(raw(TCP, "set server test_mariadb/dst state ready").isBlank());
    CutoverPlan plan = plan(BACKEND, TCP, own.userUrl);

    List<PreflightCheck> checks = router.preflight(CUTOVER, plan);
    List<PreflightCheck> backup = router.preflight(CUTOVER, plan("test_backup", own.adminUrl));

    assertEquals(
        List.of(
            "haproxy tcp://127.0.0.1:9999: source ready, destination in maint",
            "haproxy " + own.userUrl + ": runtime API level admin"),
        checks.stream().filter(c -> !c.ok()).map(PreflightCheck::check).toList());
    assertTrue(
        detail(checks, "haproxy tcp://127.0.0.1:9999: source ready, destination in maint")
            .startsWith("dst (destination) is ready: it must be in maint until the switch"),
        checks.toString());
    assertTrue(
        detail(checks, "haproxy " + own.userUrl + ": runtime API level admin")
            .contains("answers level 'user'"),
        checks.toString());
    String backupDetail =
        detail(backup, "haproxy " + own.adminUrl + ": source ready, destination in maint");
    assertTrue(
        backupDetail.startsWith("server spare of backend test_backup is ready"), backupDetail);
    assertEquals("ready", word(TCP, BACKEND, "dst"));
  }

  @Test
  void preflightWarnsOfARuntimeApiReachableFromTheNetwork() {
    // 192.0.2.1 (TEST-NET-1) answers nothing: the warning needs no connection.
    CutoverPlan plan =
        plan(
            RouterSpec.haproxy(
                List.of(new RouterInstance("tcp://192.0.2.1:9999", null)),
                BACKEND,
                "src",
                "dst",
                "1s"));

    List<PreflightCheck> checks = router.preflight(CUTOVER, plan);

    PreflightCheck exposure = checks.get(0);
    assertTrue(exposure.warning() && exposure.ok(), exposure.toString());
    assertTrue(
        exposure
            .detail()
            .startsWith(
                "router.instances[0].url tcp://192.0.2.1:9999 is not on loopback: HAProxy's"
                    + " runtime API has no authentication and no encryption"),
        exposure.detail());
    PreflightCheck reach = checks.get(1);
    assertEquals("haproxy tcp://192.0.2.1:9999: runtime API reachable", reach.check());
    assertFalse(reach.ok());
  }

  private static String detail(List<PreflightCheck> checks, String name) {
    return checks.stream()
        .filter(c -> c.check().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in " + checks))
        .detail();
  }
}
