package dev.switchback.activities.router.haproxy;

import static dev.switchback.activities.router.haproxy.HaproxyLab.TCP;
import static dev.switchback.activities.router.haproxy.HaproxyLab.UNIX;
import static dev.switchback.activities.router.haproxy.HaproxyLab.baseline;
import static dev.switchback.activities.router.haproxy.HaproxyLab.plan;
import static dev.switchback.activities.router.haproxy.HaproxyLab.raw;
import static dev.switchback.activities.router.haproxy.HaproxyLab.word;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.router.haproxy.HaproxyLab.Engine;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.Jedis;

/**
 * The HAProxy router against the lab's HAProxy and the real MariaDB, PostgreSQL and Redis pairs
 * behind it, on the backends reserved for these tests. A connection through the frontend says which
 * server it reached ({@code @@port}, {@code inet_server_port()}, {@code INFO server}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HaproxyRouterTest {
  private static final String CUTOVER = "cutover-orders";
  private final HaproxyRouter router = new HaproxyRouter();

  @BeforeEach
  void lab() {
    HaproxyLab.requireLab();
    for (Engine e : Engine.values()) {
      baseline(TCP, e.backend);
    }
  }

  @AfterEach
  void restore() {
    for (Engine e : Engine.values()) {
      baseline(TCP, e.backend);
    }
  }

  @Test
  void quiesceEndsAnOpenSessionAndRefusesNewConnections() throws Exception {
    CutoverPlan plan = plan(Engine.MARIADB.backend, TCP);
    try (Connection open = HaproxyLab.mariadb(Engine.MARIADB.frontend);
        Statement s = open.createStatement();
        Connection mysqlDriver = HaproxyLab.mysqlDriver(Engine.MARIADB.frontend);
        Statement m = mysqlDriver.createStatement()) {
      assertEquals(3307, HaproxyLab.port(s, Engine.MARIADB));
      assertEquals(3307, HaproxyLab.port(m, Engine.MARIADB));

      RouterState quiesced = router.quiesce(CUTOVER, plan);

      assertTrue(quiesced.quiesced(), quiesced.toString());
      assertNull(quiesced.target());
      assertTrue(quiesced.detail().contains("no session left"), quiesced.detail());
      System.out.println("quiesce with one open session: " + quiesced.detail());
      // The open session was ended by HAProxy: its next statement fails, as after a lost
      // connection; a new connection is closed before the server's greeting.
      SQLException ended =
          assertThrows(SQLException.class, () -> HaproxyLab.port(s, Engine.MARIADB));
      System.out.println("MariaDB Connector/J, open session after quiesce: " + ended);
      SQLException refused =
          assertThrows(SQLException.class, () -> HaproxyLab.mariadb(Engine.MARIADB.frontend));
      System.out.println("MariaDB Connector/J, new connection while quiesced: " + refused);
      SQLException mysqlEnded =
          assertThrows(SQLException.class, () -> HaproxyLab.port(m, Engine.MARIADB));
      System.out.println("MySQL Connector/J, open session after quiesce: " + mysqlEnded);
      SQLException mysqlRefused =
          assertThrows(SQLException.class, () -> HaproxyLab.mysqlDriver(Engine.MARIADB.frontend));
      System.out.println("MySQL Connector/J, new connection while quiesced: " + mysqlRefused);
    }
    assertEquals("maint", word(TCP, Engine.MARIADB.backend, "src"));
    assertEquals("maint", word(TCP, Engine.MARIADB.backend, "dst"));
    RouterState state = router.state(CUTOVER, plan);
    assertNull(state.target());
    assertTrue(state.quiesced());
  }

  @Test
  void quiesceEndsOpenPostgresAndRedisSessionsToo() throws Exception {
    try (Connection pg = HaproxyLab.postgres(Engine.POSTGRES.frontend);
        Statement s = pg.createStatement();
        Jedis redis = HaproxyLab.redis(Engine.REDIS.frontend)) {
      assertEquals(5433, HaproxyLab.port(s, Engine.POSTGRES));
      assertEquals(6380, HaproxyLab.redisPort(redis));

      router.quiesce(CUTOVER, plan(Engine.POSTGRES.backend, TCP));
      router.quiesce(CUTOVER, plan(Engine.REDIS.backend, TCP));

      SQLException pgEnded =
          assertThrows(SQLException.class, () -> HaproxyLab.port(s, Engine.POSTGRES));
      System.out.println("PgJDBC, open session after quiesce: " + pgEnded);
      SQLException pgRefused =
          assertThrows(SQLException.class, () -> HaproxyLab.postgres(Engine.POSTGRES.frontend));
      System.out.println("PgJDBC, new connection while quiesced: " + pgRefused);
      RuntimeException redisEnded =
          assertThrows(RuntimeException.class, () -> HaproxyLab.redisPort(redis));
      System.out.println("Jedis, open connection after quiesce: " + redisEnded);
      RuntimeException redisRefused =
          assertThrows(
              RuntimeException.class,
              () -> {
                try (Jedis j = HaproxyLab.redis(Engine.REDIS.frontend)) {
                  j.ping();
                }
              });
      System.out.println("Jedis, new connection while quiesced: " + redisRefused);
    }
  }

  @ParameterizedTest
  @EnumSource(Engine.class)
  void pointSendsNewConnectionsToTheDestinationAndARollbackBringsThemBack(Engine e)
      throws Exception {
    CutoverPlan plan = plan(e.backend, TCP);
    assertEquals(Side.SOURCE, router.state(CUTOVER, plan).target());
    assertEquals(e.sourcePort, e.serverPort());

    router.quiesce(CUTOVER, plan);
    RouterState pointed = router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState resumed = router.resume(CUTOVER, plan);

    assertEquals(Side.DESTINATION, pointed.target());
    assertFalse(pointed.quiesced());
    assertEquals(Side.DESTINATION, resumed.target());
    assertEquals(e.destinationPort, e.serverPort());
    assertEquals("ready", word(TCP, e.backend, "dst"));
    assertEquals("maint", word(TCP, e.backend, "src"));
    assertEquals(Side.DESTINATION, router.state(CUTOVER, plan).target());

    // The rollback after the switch: quiesce (now the destination's sessions end), back to source.
    router.quiesce(CUTOVER, plan);
    assertEquals("maint", word(TCP, e.backend, "dst"));
    router.point(CUTOVER, plan, Side.SOURCE);
    router.resume(CUTOVER, plan);

    assertEquals(e.sourcePort, e.serverPort());
    assertEquals(Side.SOURCE, router.state(CUTOVER, plan).target());
  }

  @Test
  void theRollbackQuiesceEndsSessionsOnTheDestination() throws Exception {
    CutoverPlan plan = plan(Engine.MARIADB.backend, TCP);
    router.quiesce(CUTOVER, plan);
    router.point(CUTOVER, plan, Side.DESTINATION);
    try (Connection open = HaproxyLab.mariadb(Engine.MARIADB.frontend);
        Statement s = open.createStatement()) {
      assertEquals(3308, HaproxyLab.port(s, Engine.MARIADB));

      router.quiesce(CUTOVER, plan);

      assertThrows(SQLException.class, () -> HaproxyLab.port(s, Engine.MARIADB));
    }
  }

  @Test
  void everyCallRepeatedIsHarmless() throws Exception {
    CutoverPlan plan = plan(Engine.MARIADB.backend, TCP);

    RouterState q1 = router.quiesce(CUTOVER, plan);
    RouterState q2 = router.quiesce(CUTOVER, plan);
    RouterState p1 = router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState p2 = router.point(CUTOVER, plan, Side.DESTINATION);
    RouterState r1 = router.resume(CUTOVER, plan);
    RouterState r2 = router.resume(CUTOVER, plan);
    RouterState s1 = router.state(CUTOVER, plan);
    RouterState s2 = router.state(CUTOVER, plan);

    assertTrue(q1.quiesced() && q2.quiesced());
    assertEquals(List.of(Side.DESTINATION, Side.DESTINATION), List.of(p1.target(), p2.target()));
    assertEquals(List.of(Side.DESTINATION, Side.DESTINATION), List.of(r1.target(), r2.target()));
    assertEquals(s1, s2);
    assertEquals(3308, Engine.MARIADB.serverPort());
  }

  @Test
  void aBackendWithBothServersOpenIsRefusedNamingBothAndLeftAsItIs() {
    CutoverPlan plan = plan(Engine.MARIADB.backend, TCP);
    assertTrue(raw(TCP, "set server test_mariadb/dst state ready").isBlank());

    for (Executable call :
        List.<Executable>of(
            () -> router.state(CUTOVER, plan),
            () -> router.point(CUTOVER, plan, Side.DESTINATION),
            () -> router.point(CUTOVER, plan, Side.SOURCE),
            () -> router.resume(CUTOVER, plan))) {
      ApplicationFailure f = assertThrows(ApplicationFailure.class, call);
      assertEquals(FailureTypes.ROUTER, f.getType());
      assertTrue(f.isNonRetryable());
      assertTrue(
          f.getOriginalMessage()
              .contains(
                  "router.backend: on HAProxy at tcp://127.0.0.1:9999 backend test_mariadb sends"
                      + " connections to both servers, src (source) ready and dst (destination)"
                      + " ready: the application may write to two databases"),
          f.getOriginalMessage());
    }
    assertEquals("ready", word(TCP, Engine.MARIADB.backend, "src"));
    assertEquals("ready", word(TCP, Engine.MARIADB.backend, "dst"));
  }

  @Test
  void pointRefusesWhileTheOtherServerStillTakesConnections() {
    CutoverPlan plan = plan(Engine.MARIADB.backend, TCP);

    ApplicationFailure f =
        assertThrows(ApplicationFailure.class, () -> router.point(CUTOVER, plan, Side.DESTINATION));

    assertEquals(FailureTypes.ROUTER, f.getType());
    assertTrue(
        f.getOriginalMessage()
            .startsWith(
                "router.sourceServer: on HAProxy at tcp://127.0.0.1:9999 src (source) is ready,"
                    + " not in maint: the application is not quiesced there"),
        f.getOriginalMessage());
    assertEquals("maint", word(TCP, Engine.MARIADB.backend, "dst"));
  }

  @Test
  void aMissingBackendOrServerFailsNamingTheFieldBeforeAnyChange() {
    CutoverPlan noBackend = plan("no_such_backend", TCP);
    CutoverPlan noSource =
        plan(
            RouterSpec.haproxy(
                List.of(new RouterInstance(TCP, null)), "test_mariadb", "nope", "dst", "5s"));
    CutoverPlan noDestination =
        plan(
            RouterSpec.haproxy(
                List.of(new RouterInstance(TCP, null)), "test_mariadb", "src", "nope", "5s"));

    ApplicationFailure b = HaproxyLab.nonRetryable(() -> router.quiesce(CUTOVER, noBackend));
    ApplicationFailure s = HaproxyLab.nonRetryable(() -> router.quiesce(CUTOVER, noSource));
    ApplicationFailure d =
        HaproxyLab.nonRetryable(() -> router.point(CUTOVER, noDestination, Side.DESTINATION));
    ApplicationFailure st = HaproxyLab.nonRetryable(() -> router.state(CUTOVER, noBackend));

    for (ApplicationFailure f : List.of(b, s, d, st)) {
      assertEquals(FailureTypes.INVALID_PLAN, f.getType(), f.getOriginalMessage());
    }

    assertTrue(
        b.getOriginalMessage()
            .startsWith(
                "router.backend: HAProxy at tcp://127.0.0.1:9999 (router.instances[0].url) has no"
                    + " backend 'no_such_backend'"),
        b.getOriginalMessage());
    assertTrue(b.getOriginalMessage().contains("test_mariadb"), b.getOriginalMessage());
    assertTrue(
        s.getOriginalMessage()
            .startsWith(
                "router.sourceServer: backend 'test_mariadb' on HAProxy at tcp://127.0.0.1:9999"
                    + " has no server 'nope' (fix: name the backend's server that reaches the"
                    + " source (its servers: src, dst))"),
        s.getOriginalMessage());
    assertTrue(
        d.getOriginalMessage().startsWith("router.destinationServer: "), d.getOriginalMessage());
    assertEquals(b.getOriginalMessage(), st.getOriginalMessage());
    assertEquals("ready", word(TCP, Engine.MARIADB.backend, "src"));
  }

  @Test
  void theUnixSocketDrivesHaproxyAsTheTcpAddressDoes() throws Exception {
    CutoverPlan plan = plan(Engine.POSTGRES.backend, UNIX);

    assertEquals(Side.SOURCE, router.state(CUTOVER, plan).target());
    router.quiesce(CUTOVER, plan);
    router.point(CUTOVER, plan, Side.DESTINATION);
    router.resume(CUTOVER, plan);

    assertEquals(5434, Engine.POSTGRES.serverPort());
    assertEquals(
        Side.DESTINATION, router.state(CUTOVER, plan(Engine.POSTGRES.backend, TCP)).target());
  }

  @Test
  void anUnreachableRuntimeApiIsRetryable() throws Exception {
    int free;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      free = s.getLocalPort();
    }
    for (String url : List.of("tcp://127.0.0.1:" + free, "unix:///nonexistent/haproxy.sock")) {
      CutoverPlan plan = plan(Engine.MARIADB.backend, url);

      RouterUnavailableException e =
          assertThrows(RouterUnavailableException.class, () -> router.quiesce(CUTOVER, plan));

      assertTrue(
          e.getMessage().startsWith("router.instances[0].url " + url + ": 'show servers state"),
          e.getMessage());
    }
  }

  @Test
  void aPlanWithBadRouterFieldsIsRefusedBeforeAnythingIsSent() {
    CutoverPlan plan =
        plan(
            RouterSpec.haproxy(
                List.of(new RouterInstance(TCP, null)),
                "test_mariadb;set server test_mariadb/dst state ready",
                "src",
                "src",
                "5s"));

    ApplicationFailure f = HaproxyLab.nonRetryable(() -> router.quiesce(CUTOVER, plan));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().contains("router.backend: '"), f.getOriginalMessage());
    assertTrue(
        f.getOriginalMessage().contains("router.destinationServer: the same server"),
        f.getOriginalMessage());
    assertEquals("ready", word(TCP, Engine.MARIADB.backend, "src"));
    assertEquals("maint", word(TCP, Engine.MARIADB.backend, "dst"));
  }
}
