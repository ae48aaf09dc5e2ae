package dev.switchback.activities.redis;

import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Await;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.PlanValidator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The lab's two Redis servers (deploy/lab/redis.sh): source 127.0.0.1:6380, destination
 * 127.0.0.1:6381. Tests isolate with their own key prefix and leave both servers as standalone
 * masters, unpaused.
 */
final class RedisLab {
  static final String HOST = "127.0.0.1";
  static final int SOURCE_PORT = 6380;
  static final int DESTINATION_PORT = 6381;
  static final String MIGRATION_ACCOUNT = "sb_migrator";

  private RedisLab() {}

  /** Fails (never skips) when the lab is not running. */
  static void requireRunning() {
    for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
      try (Jedis j = client(port, "check")) {
        j.ping();
      } catch (JedisException e) {
        fail(
            "Redis lab server 127.0.0.1:"
                + port
                + " is not reachable ("
                + e.getMessage()
                + "): start the lab: deploy/lab/lab.sh start redis");
      }
    }
  }

  /** An application-like client (not named switchback*). */
  static Jedis client(int port, String name) {
    return new Jedis(
        new HostAndPort(HOST, port),
        DefaultJedisClientConfig.builder()
            .clientName("app-" + name)
            .socketTimeoutMillis(60_000)
            .build());
  }

  /** A client logged in as {@code user}. */
  static Jedis clientAs(int port, String name, String user, String password) {
    return new Jedis(
        new HostAndPort(HOST, port),
        DefaultJedisClientConfig.builder()
            .clientName("app-" + name)
            .user(user)
            .password(password)
            .socketTimeoutMillis(60_000)
            .build());
  }

  static String prefix(String test) {
    return "sbtest:" + test + ":" + UUID.randomUUID().toString().substring(0, 8) + ":";
  }

  static CutoverPlan plan(Map<String, String> endpointOptions) {
    return plan(endpointOptions, Map.of());
  }

  static CutoverPlan plan(
      Map<String, String> endpointOptions, Map<String, String> migrationOptions) {
    CutoverPlan plan =
        new CutoverPlan(
            "redis-lab",
            new MigrationSpec("redis", "redis-forward", "redis-reverse", migrationOptions),
            new EndpointSpec(
                "redis",
                "redis://" + HOST + ":" + SOURCE_PORT,
                null,
                null,
                List.of(),
                endpointOptions),
            new EndpointSpec(
                "redis",
                "redis://" + HOST + ":" + DESTINATION_PORT,
                null,
                null,
                List.of(),
                endpointOptions),
            new MigrationAccountSpec(MIGRATION_ACCOUNT, null, true),
            null,
            null,
            null,
            ApproverSpec.names("tester"),
            CutoverPlan.UNSIGNED,
            null,
            null,
            null);
    return PlanValidator.validate(plan);
  }

  static Connections connections() {
    return new Connections(new Secrets(Map.of()));
  }

  static EngineContext engineContext(CutoverPlan plan, Side side) {
    return new EngineContext("cutover-redis-lab", plan, side, connections());
  }

  static MigrationContext migrationContext(CutoverPlan plan) {
    return new MigrationContext("cutover-redis-lab", plan, connections());
  }

  /** Both servers standalone masters, unpaused, without this test's keys. */
  static void reset(String prefix) {
    for (int port : new int[] {SOURCE_PORT, DESTINATION_PORT}) {
      try (Jedis j = client(port, "reset")) {
        j.clientUnpause();
        j.replicaofNoOne();
        j.configSet("masteruser", "");
        j.configSet("masterauth", "");
        if (prefix != null) {
          for (String key : j.keys(prefix + "*")) {
            j.del(key);
          }
        }
      }
    }
  }

  /** The destination replicates from the source, its initial sync done. */
  static void attachForward() {
    try (Jedis d = client(DESTINATION_PORT, "attach")) {
      d.replicaof(HOST, SOURCE_PORT);
    }
    await(
        "destination to finish its initial sync",
        Duration.ofSeconds(20),
        () -> {
          try (Jedis d = client(DESTINATION_PORT, "attach")) {
            RedisInfo i = new RedisInfo(d.info("replication"));
            return "up".equals(i.get("master_link_status"))
                && "0".equals(i.get("master_sync_in_progress"));
          }
        });
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    Await.until(what, timeout, condition::getAsBoolean);
  }

  static RedisInfo info(int port, String section) {
    try (Jedis j = client(port, "info")) {
      return new RedisInfo(j.info(section));
    }
  }
}
