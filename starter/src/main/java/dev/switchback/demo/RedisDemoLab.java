package dev.switchback.demo;

import dev.switchback.activities.redis.RedisProvider;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.Thresholds;
import dev.switchback.plan.ValidationSpec;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * The Redis demo: the two lab servers (source 6380, destination 6381, {@code deploy/lab/redis.sh}),
 * native replication as the migration instance (the destination is a replica of the source), and
 * the demo application writing {@code order:<run>:<n>} keys as the ACL user {@value #APP_USER}.
 *
 * <p>The lab servers belong to the project's tests and demo only: {@link #prepare} makes both
 * standalone masters again and empties them ({@code FLUSHALL}); no other server is touched.
 */
public final class RedisDemoLab implements DemoLab {
  /** The application's ACL account on both servers: the fence and the session check act on it. */
  static final String APP_USER = "sb_app";

  /** The application account's password on the lab servers (a lab value, not a secret). */
  static final String APP_PASSWORD = "sb-app-lab";

  static final String HOST = "127.0.0.1";
  static final int SOURCE_PORT = 6380;
  static final int DESTINATION_PORT = 6381;
  static final String ORDER_PREFIX = "order:";
  private static final int SEED_ORDERS = 1000;

  private final Map<String, String> endpointOptions;
  private final String sessionCheckTimeout;

  public RedisDemoLab() {
    this(Map.of(), "15s");
  }

  /**
   * A lab whose plan sets {@code endpointOptions} on both endpoints (for example a short {@code
   * fencePeriod}) and waits {@code sessionCheckTimeout} for application writers to end after a
   * fence.
   */
  public RedisDemoLab(Map<String, String> endpointOptions, String sessionCheckTimeout) {
    this.endpointOptions = Map.copyOf(endpointOptions);
    this.sessionCheckTimeout = sessionCheckTimeout;
  }

  @Override
  public String engine() {
    return "redis";
  }

  @Override
  public String unit() {
    return "keys";
  }

  static int port(Side side) {
    return side == Side.SOURCE ? SOURCE_PORT : DESTINATION_PORT;
  }

  private static String url(Side side) {
    return "redis://" + HOST + ":" + port(side);
  }

  /** An admin connection (the default user); named switchback-* so session checks leave it out. */
  static Jedis admin(Side side) {
    return new Jedis(
        new HostAndPort(HOST, port(side)),
        DefaultJedisClientConfig.builder()
            .clientName("switchback-demo")
            .socketTimeoutMillis(10_000)
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .build());
  }

  @Override
  public void prepare(Connections connections) {
    for (Side side : Side.values()) {
      try (Jedis j = admin(side)) {
        // What an earlier run may have left: a write fence of a worker that stopped (it runs out
        // by itself, but not before the FLUSHALL below), a forward or reverse instance.
        j.clientUnpause();
        j.replicaofNoOne();
        j.configSet("masteruser", "");
        j.configSet("masterauth", "");
        j.flushAll();
        // ACL users are per server and not replicated: the application needs its account on both.
        j.aclSetUser(
            APP_USER,
            "reset",
            "on",
            ">" + APP_PASSWORD,
            "~*",
            "&*",
            "+@all",
            "-@admin",
            "-@dangerous");
      }
    }
    try (Jedis j = admin(Side.SOURCE)) {
      Pipeline p = j.pipelined();
      for (int i = 1; i <= SEED_ORDERS; i++) {
        p.set(ORDER_PREFIX + "seed:" + i, String.valueOf(i % 500));
      }
      p.sync();
    }
  }

  @Override
  public DemoApp startApplication(int writers, double ratePerSecond) throws Exception {
    return RedisOrdersApp.start(
        RedisOrdersApp.Config.of(application(Side.SOURCE), application(Side.DESTINATION))
            .withRate(writers, ratePerSecond));
  }

  /** How the demo application reaches {@code side}. */
  public RedisOrdersApp.Endpoint application(Side side) {
    return new RedisOrdersApp.Endpoint(HOST, port(side), APP_USER, APP_PASSWORD);
  }

  @Override
  public CutoverPlan plan(DemoOptions options, String routerUrl, String routerSigningKey) {
    GateSpec gate =
        options.interactive()
            ? new GateSpec("approval", "1h", null)
            : new GateSpec("auto", null, null);
    GateSpec switchGate = options.interactive() ? new GateSpec("approval", "15m", null) : gate;
    GateSpec finalizeGate = options.interactive() ? new GateSpec("approval", "1h", null) : gate;
    String app = routerUrl.substring(0, routerUrl.length() - "/switchback".length());
    List<TestSpec> tests = new ArrayList<>();
    // The application answers and writes to the destination, not held.
    tests.add(
        new TestSpec(
            "orders-app-writes-to-destination",
            "http",
            null,
            app + "/health",
            "\"target\":\"destination\",\"quiesced\":false",
            200,
            "destination",
            "10s"));
    if (options.rollback()) {
      // A real failing test: the release being switched to needs an endpoint this build of the
      // application does not serve (404), so the smoke test fails and the cutover rolls back.
      tests.add(
          new TestSpec(
              "orders-export-endpoint",
              "http",
              null,
              app + "/orders/export",
              null,
              200,
              "destination",
              "10s"));
    }
    return new CutoverPlan(
        "demo-redis",
        new MigrationSpec("redis", "sb_demo_fwd", "sb_demo_rev", null),
        new EndpointSpec("redis", url(Side.SOURCE), null, null, List.of(APP_USER), endpointOptions),
        new EndpointSpec(
            "redis", url(Side.DESTINATION), null, null, List.of(APP_USER), endpointOptions),
        // The replicas log in to their master as the default user (the lab sets no masterauth),
        // so that is the migration account. It is also Switchback's admin account here, so
        // revoking its writes at finalize would lock the admin out: it is left as it is.
        new MigrationAccountSpec("default", null, false),
        new RouterSpec("webhook", routerUrl, null, "30s", routerSigningKey),
        // Redis proves the drain by replication offsets and promotes the replica in one command,
        // so drain and instance waits are short; the session check watches one sample window.
        new Thresholds("5s", "2m", "30s", "2m", "2s", sessionCheckTimeout, "1m"),
        new GatesSpec(gate, switchGate, finalizeGate),
        // A lab: the interactive demo approves by name (docs/security.md, Approvals).
        ApproverSpec.names(options.approver()),
        CutoverPlan.UNSIGNED,
        tests,
        // The keys the application writes, compared key by key after the switch (writes in flight
        // through the reverse instance are rechecked); the witness checks every key as well.
        new ValidationSpec(List.of("order:*"), "full", true),
        options.soak());
  }

  @Override
  public void createForward(Connections connections, CutoverPlan plan, PrintStream progress)
      throws Exception {
    try (Jedis d = admin(Side.DESTINATION)) {
      d.replicaof(HOST, SOURCE_PORT);
    }
    progress.println(
        "forward instance: "
            + url(Side.DESTINATION)
            + " REPLICAOF "
            + HOST
            + " "
            + SOURCE_PORT
            + " (native replication)");
    RedisProvider provider = new RedisProvider();
    MigrationContext ctx = new MigrationContext(plan.workflowId(), plan, connections);
    InstanceState state = DemoLab.awaitCaughtUp(provider, ctx);
    progress.println(
        "forward instance "
            + state.instance()
            + " "
            + state.status()
            + ", link up and synced, latency "
            + state.latencyMs()
            + " ms ("
            + state.detail()
            + ")");
  }

  /** Every order key on {@code side} (Redis keys are unique; SCAN may repeat one, so distinct). */
  @Override
  public List<String> orderNumbers(Side side) {
    Set<String> keys = new LinkedHashSet<>();
    try (Jedis j = admin(side)) {
      ScanParams params = new ScanParams().match(ORDER_PREFIX + "*").count(1000);
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = j.scan(cursor, params);
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    }
    return List.copyOf(keys);
  }
}
