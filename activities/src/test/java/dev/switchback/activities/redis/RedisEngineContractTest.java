package dev.switchback.activities.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.DatabaseEngineContract;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.EndpointSpec;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The engine contract on the lab's Redis source (127.0.0.1:6380) with the real {@link RedisEngine}.
 * The application and the migration account are ACL users created for each run of the class (their
 * keys under a prefix of its own) and deleted afterwards; a transaction is MULTI with a queued SET.
 *
 * <p>The fence is {@code CLIENT PAUSE ... WRITE}: a write waits instead of failing, and the pause
 * holds every normal client, the migration account included. Only replicas (a PSYNC-attached
 * migrator) keep streaming.
 */
class RedisEngineContractTest extends DatabaseEngineContract {
  /** The lab's source, or the port in {@code SWITCHBACK_REDIS_SOURCE_PORT}. */
  static final int PORT = port();

  static final String PASSWORD = "sbc-" + UUID.randomUUID();

  private static String prefix;
  private static String app;
  private static String mig;
  private static Connections connections;
  private static RedisEngine engine;

  private static int port() {
    String v = System.getenv("SWITCHBACK_REDIS_SOURCE_PORT");
    return v == null || v.isBlank() ? RedisLab.SOURCE_PORT : Integer.parseInt(v.strip());
  }

  @BeforeAll
  static void prepareAccounts() {
    String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    prefix = "sbcontract:" + id + ":";
    app = "sbc_app_" + id;
    mig = "sbc_mig_" + id;
    try (Jedis admin = admin()) {
      admin.ping();
      admin.aclSetUser(app, "reset", "on", ">" + PASSWORD, "~" + prefix + "*", "+@all");
      grantMigrationAccount(admin);
    } catch (JedisConnectionException e) {
      fail(
          "start the lab: deploy/lab/lab.sh start redis (redis://127.0.0.1:"
              + PORT
              + ": "
              + e.getMessage()
              + ")");
    }
    connections = new Connections(new Secrets(Map.of()));
    engine = new RedisEngine();
  }

  @AfterAll
  static void deleteAccountsAndKeys() {
    if (engine != null) {
      engine.close();
      engine = null;
    }
    if (connections != null) {
      connections.close();
      connections = null;
    }
    if (prefix == null) {
      return;
    }
    try (Jedis admin = admin()) {
      // A pause a failed test left up would hold every other test's writes on this server.
      admin.clientUnpause();
      admin.aclDelUser(app, mig);
      for (String key : admin.keys(prefix + "*")) {
        admin.del(key);
      }
    }
    prefix = null;
  }

  private static Jedis admin() {
    return RedisLab.client(PORT, "contract-admin");
  }

  @Override
  protected DatabaseEngine engine() {
    // One engine for the class: it holds the fence's lease and renews it until unfenceWrites.
    return engine;
  }

  @Override
  protected EngineContext context() {
    return contextFor(
        new EndpointSpec(
            "redis", "redis://" + RedisLab.HOST + ":" + PORT, null, null, List.of(app), Map.of()),
        mig,
        connections);
  }

  @Override
  protected EngineSession openApplicationSession() {
    return new RedisSession(app);
  }

  @Override
  protected EngineSession openMigrationSession() {
    return new RedisSession(mig);
  }

  @Override
  protected FenceStops fenceStops() {
    return FenceStops.BLOCKS;
  }

  /** CLIENT PAUSE WRITE holds every normal client's writes, whatever its account. */
  @Override
  protected boolean migrationAccountWritesUnderFence() {
    return false;
  }

  /**
   * A paused write never fails: it waits. The only error the fence causes is a closed connection (a
   * session the fence ended), never a timeout of the client's own.
   */
  @Override
  protected void assertFenceRejection(Throwable error) {
    JedisConnectionException e =
        assertInstanceOf(JedisConnectionException.class, error, "a closed connection");
    for (Throwable c = e; c != null; c = c.getCause()) {
      assertFalse(c instanceof SocketTimeoutException, "the client timed out, not the fence: " + e);
    }
  }

  /** One connection as {@code user}, named uniquely so that CLIENT LIST shows which it is. */
  private static final class RedisSession implements EngineSession {
    private final String name = "sbc-" + UUID.randomUUID().toString().substring(0, 8);
    private final Jedis jedis;

    RedisSession(String user) {
      jedis =
          new Jedis(
              new HostAndPort(RedisLab.HOST, PORT),
              DefaultJedisClientConfig.builder()
                  .clientName(name)
                  .user(user)
                  .password(PASSWORD)
                  // Longer than any write the fence holds in a test.
                  .socketTimeoutMillis(60_000)
                  .build());
      jedis.ping();
    }

    @Override
    public void read() {
      jedis.get(prefix + "read");
    }

    @Override
    public void write() {
      jedis.set(prefix + UUID.randomUUID(), name);
    }

    @Override
    public void beginWriteAndHold() {
      jedis.sendCommand(Protocol.Command.MULTI);
      jedis.sendCommand(Protocol.Command.SET, prefix + UUID.randomUUID(), name);
    }

    @Override
    public void commit() {
      Object replies = jedis.sendCommand(Protocol.Command.EXEC);
      if (replies == null) {
        throw new IllegalStateException("EXEC of " + name + " was aborted");
      }
    }

    @Override
    public boolean reportedAs(SessionInfo session) {
      return name.equals(session.application());
    }

    @Override
    public void close() {
      try {
        jedis.close();
      } catch (JedisException ignored) {
        // The fence may have closed the connection already.
      }
    }
  }

  @Override
  protected void assertRevokeRejection(Throwable error) {
    JedisDataException e = assertInstanceOf(JedisDataException.class, error, "a server error");
    assertTrue(String.valueOf(e.getMessage()).startsWith("NOPERM"), "NOPERM, not: " + e);
  }

  @Override
  protected void restoreMigrationAccountWrites() {
    try (Jedis admin = admin()) {
      grantMigrationAccount(admin);
    }
  }

  /**
   * Every command but ACL: with ACL it could give itself its writes back, and the revoke would
   * rightly refuse to pass.
   */
  private static void grantMigrationAccount(Jedis admin) {
    admin.aclSetUser(mig, "reset", "on", ">" + PASSWORD, "~" + prefix + "*", "+@all", "-acl");
  }
}
