package dev.switchback.activities.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Finalize's revoke on the Redis at 127.0.0.1:6379 ({@code SWITCHBACK_REDIS_PORT} for another
 * port): ACL users and keys of its own, deleted afterwards; nothing here pauses or reconfigures the
 * server.
 */
class RedisRevokeTest {
  static final int PORT = port();
  private static final String PASSWORD = "sbrv-" + UUID.randomUUID();

  private final List<Jedis> clients = new ArrayList<>();
  private final List<String> users = new ArrayList<>();
  private final Connections connections = new Connections(new Secrets(Map.of()));
  private String prefix;

  private static int port() {
    String v = System.getenv("SWITCHBACK_REDIS_PORT");
    return v == null || v.isBlank() ? 6379 : Integer.parseInt(v.strip());
  }

  @BeforeEach
  void reachable() {
    prefix = "sbrv:" + UUID.randomUUID().toString().substring(0, 8) + ":";
    try (Jedis j = RedisLab.client(PORT, "sbrv-check")) {
      j.ping();
    } catch (JedisException e) {
      fail("Redis at 127.0.0.1:" + PORT + " is needed: " + e.getMessage());
    }
  }

  @AfterEach
  void cleanUp() {
    clients.forEach(Jedis::close);
    connections.close();
    try (Jedis j = RedisLab.client(PORT, "sbrv-cleanup")) {
      for (String u : users) {
        j.aclDelUser(u);
      }
      for (String key : j.keys(prefix + "*")) {
        j.del(key);
      }
    }
  }

  @Test
  void revokeRemovesWritesAndClosesTheMigrationAccountsOpenConnection() {
    // Everything but ACL, with which it could give itself its writes back.
    String user = user("+@all", "-acl");
    Jedis account = as(user);
    assertEquals("OK", account.set(prefix + "before", "1"));

    String result = new RedisEngine().revokeWrite(context(user), user);

    assertThrows(
        JedisConnectionException.class,
        () -> account.set(prefix + "after", "1"),
        "the connection open at the revoke was closed: " + result);
    Jedis again = as(user);
    JedisDataException refused =
        assertThrows(JedisDataException.class, () -> again.set(prefix + "after", "1"));
    assertTrue(refused.getMessage().startsWith("NOPERM"), refused.getMessage());
    assertEquals("1", again.get(prefix + "before"), "reads stay allowed");
    assertTrue(result.endsWith("no write path left"), result);
    assertTrue(result.contains("ended 1 session(s)"), result);
  }

  @Test
  void revokeFailsWhenTheAccountMayGiveItselfItsWritesBack() {
    String user = user("+@all");

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class, () -> new RedisEngine().revokeWrite(context(user), user));

    assertEquals(FailureTypes.WRITE_PATHS_LEFT, f.getType());
    assertTrue(f.getOriginalMessage().contains("ACL SETUSER " + user), f.getMessage());
    // What the check found is real: the account gives itself its writes back.
    Jedis account = as(user);
    account.aclSetUser(user, "+@write");
    assertEquals("OK", account.set(prefix + "again", "1"));
  }

  @Test
  void revokeOfAnAccountThatDoesNotExistFailsAndCreatesNothing() {
    String absent = "sbrv_absent_" + UUID.randomUUID().toString().substring(0, 8);

    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class, () -> new RedisEngine().revokeWrite(context(absent), absent));

    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().contains("does not exist"), f.getMessage());
    try (Jedis j = RedisLab.client(PORT, "sbrv-check")) {
      assertNull(j.aclGetUser(absent));
    }
  }

  @Test
  void theRevokeProbesAKeyTheAccountMayReach() {
    assertEquals("orders:x:", RedisRevoke.concrete("orders:?:*"));
    assertEquals("a[b", RedisRevoke.concrete("a\\[b"));
    assertEquals("ka", RedisRevoke.concrete("k[abc]"));
    assertEquals("switchback:revoke-probe", RedisRevoke.probeKey(List.of("~*")));
    assertEquals("app:", RedisRevoke.probeKey(List.of("%R~secret:*", "%RW~app:*")));
    assertNull(RedisRevoke.probeKey(List.of("%R~reports:*")), "read-only keys: nothing to write");
  }

  private String user(String... rules) {
    String name = "sbrv_" + UUID.randomUUID().toString().substring(0, 8);
    try (Jedis j = RedisLab.client(PORT, "sbrv-acl")) {
      List<String> all =
          new ArrayList<>(List.of("reset", "on", ">" + PASSWORD, "~" + prefix + "*"));
      all.addAll(List.of(rules));
      j.aclSetUser(name, all.toArray(String[]::new));
    }
    users.add(name);
    return name;
  }

  private Jedis as(String user) {
    Jedis j = RedisLab.clientAs(PORT, "sbrv-" + user, user, PASSWORD);
    clients.add(j);
    return j;
  }

  private EngineContext context(String migrationAccount) {
    return DatabaseEngineContract.contextFor(
        new EndpointSpec("redis", "redis://127.0.0.1:" + PORT, null, null, List.of(), Map.of()),
        migrationAccount,
        connections);
  }
}
