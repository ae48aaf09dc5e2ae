package dev.switchback.demo;

import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The demo application on Redis: each order is a key {@code order:<run>:<n>} set with {@code SET}
 * on whichever side the application points to. The router contract and the witness are {@link
 * DemoApp}'s.
 *
 * <p>A write is retried while the side answers with an error a failover produces ({@code READONLY}
 * from a replica, {@code LOADING} during a full sync, {@code MASTERDOWN}, {@code BUSY}) or the
 * connection fails, until the write deadline; any other error (a missing permission, a wrong type)
 * fails the write at once. A {@code SET} whose connection died after it was sent may or may not
 * have run: it is counted as ambiguous and simply repeated, because setting the same key to the
 * same value again changes nothing.
 */
public final class RedisOrdersApp extends DemoApp {
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  private static final int SOCKET_TIMEOUT_MS = 5_000;

  /** How the application reaches one side: host, port and its ACL account (user may be null). */
  public record Endpoint(String host, int port, String user, String password) {}

  /** Both sides and how the application runs. */
  public record Config(Endpoint source, Endpoint destination, Settings settings) {
    public static Config of(Endpoint source, Endpoint destination) {
      return new Config(source, destination, Settings.defaults());
    }

    public Config withRate(int writers, double ratePerSecond) {
      return new Config(source, destination, settings.withRate(writers, ratePerSecond));
    }
  }

  private final Map<Side, RedisClient> clients = new EnumMap<>(Side.class);
  private final AtomicLong sequence = new AtomicLong();

  private RedisOrdersApp(Config config) throws IOException {
    super(config.settings());
    for (Side side : Side.values()) {
      clients.put(
          side,
          client(side == Side.SOURCE ? config.source() : config.destination(), writerCount()));
    }
  }

  /**
   * Starts the writers (on the source) and the router endpoint.
   *
   * @throws IllegalArgumentException naming the setting when one is out of range
   */
  public static RedisOrdersApp start(Config config) throws IOException {
    RedisOrdersApp app = new RedisOrdersApp(config);
    app.begin();
    return app;
  }

  private static RedisClient client(Endpoint e, int writers) {
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(writers + 2);
    pool.setMaxIdle(writers + 2);
    pool.setMinIdle(0);
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .clientName(APPLICATION_NAME)
            .connectionTimeoutMillis(CONNECT_TIMEOUT_MS)
            .socketTimeoutMillis(SOCKET_TIMEOUT_MS)
            // CLIENT SETINFO arrived in Redis 7.2; older servers answer it with an error.
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
    if (e.user() != null) {
      config.user(e.user());
    }
    if (e.password() != null) {
      config.password(e.password());
    }
    return RedisClient.builder()
        .hostAndPort(new HostAndPort(e.host(), e.port()))
        .clientConfig(config.build())
        .poolConfig(pool)
        .build();
  }

  @Override
  protected String nextOrder(int writer, long seq) {
    return "order:" + runId + ":" + sequence.getAndIncrement();
  }

  @Override
  protected void closeClients() {
    clients.values().forEach(RedisClient::close);
  }

  @Override
  protected void write(Side side, String key, long started) {
    long deadline = deadline(started);
    String value = String.valueOf(Math.floorMod(key.hashCode(), 100_000) / 100.0);
    long backoff = TimeUnit.MILLISECONDS.toNanos(50);
    RedisClient client = clients.get(side);
    while (true) {
      String problem;
      try {
        String reply = client.set(key, value);
        if ("OK".equals(reply)) {
          acknowledge(side, key);
          return;
        }
        problem = "SET answered " + reply;
      } catch (JedisConnectionException e) {
        if (!neverSent(e)) {
          // Sent or not, we cannot know: the SET is repeated below, which is safe (same value).
          ambiguous();
        }
        problem = "connection: " + e.getMessage();
      } catch (JedisDataException e) {
        if (!transientError(e)) {
          lastError(side.word() + ": " + e.getMessage());
          failed(key, e.getMessage());
          return;
        }
        problem = e.getMessage();
      } catch (RuntimeException e) {
        // No connection could be had from the pool (the side is down): try again.
        problem = e.getClass().getSimpleName() + ": " + e.getMessage();
      }
      lastError(side.word() + ": " + problem);
      if (System.nanoTime() > deadline) {
        failed(key, problem);
        return;
      }
      retried();
      sleepNanos(backoff);
      backoff = Math.min(backoff * 2, TimeUnit.SECONDS.toNanos(1));
    }
  }

  private static boolean neverSent(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** Errors a failover or a fence produces, which pass once the cutover moves on. */
  private static boolean transientError(JedisDataException e) {
    String m = String.valueOf(e.getMessage());
    return m.startsWith("READONLY")
        || m.startsWith("LOADING")
        || m.startsWith("MASTERDOWN")
        || m.startsWith("BUSY")
        || m.startsWith("TRYAGAIN");
  }
}
