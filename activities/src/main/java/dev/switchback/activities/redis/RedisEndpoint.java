package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.net.URISyntaxException;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.SslOptions;

/**
 * One Redis server of the plan, parsed from {@code redis://host:port} (or {@code rediss://} for
 * TLS), with the admin account's password resolved on the worker. Every connection Switchback opens
 * is named {@code switchback...} so the session check leaves it out.
 *
 * @param field the plan field this endpoint comes from ({@code source}, {@code destination}), named
 *     in errors
 */
record RedisEndpoint(
    String field, String host, int port, boolean tls, String user, String password) {

  static final String OWN_NAME = Connections.APPLICATION_NAME;
  private static final int DEFAULT_PORT = 6379;
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  private static final int SOCKET_TIMEOUT_MS = 10_000;

  /**
   * Parses {@code spec}, failing with a non-retryable {@code InvalidPlan} naming {@code field} and
   * the fix before anything is contacted.
   */
  static RedisEndpoint of(String field, EndpointSpec spec, Secrets secrets) {
    if (spec == null || spec.url() == null || spec.url().isBlank()) {
      throw invalid(field + ".url", "missing", "write redis://host:port");
    }
    URI uri;
    try {
      uri = new URI(spec.url().trim());
    } catch (URISyntaxException e) {
      throw invalid(field + ".url", "'" + spec.url() + "' is not a URL", "write redis://host:port");
    }
    String scheme = uri.getScheme();
    if (!"redis".equalsIgnoreCase(scheme) && !"rediss".equalsIgnoreCase(scheme)) {
      throw invalid(
          field + ".url",
          "'" + spec.url() + "' is not a Redis URL",
          "write redis://host:port (rediss:// for TLS)");
    }
    if (uri.getHost() == null) {
      throw invalid(
          field + ".url", "'" + spec.url() + "' names no host", "write redis://host:port");
    }
    if (uri.getRawUserInfo() != null) {
      throw invalid(
          field + ".url",
          "the URL carries credentials, which would be stored in workflow history",
          "remove them; set " + field + ".user and " + field + ".password: env:NAME");
    }
    if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
      // The fence (CLIENT PAUSE) and replication (REPLICAOF) act on the whole server, every
      // database at once, so a database number in the URL would suggest a scope that is not there.
      throw invalid(
          field + ".url",
          "'" + spec.url() + "' names a database; the fence and REPLICAOF cover the whole server",
          "write redis://host:port without a path");
    }
    String password = secrets.resolve(field + ".password", spec.password());
    return new RedisEndpoint(
        field,
        uri.getHost(),
        uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(),
        "rediss".equalsIgnoreCase(scheme),
        spec.user() == null || spec.user().isBlank() ? null : spec.user(),
        password);
  }

  /** host:port, the identity of the server for leases and messages. */
  String address() {
    return host + ":" + port;
  }

  HostAndPort hostAndPort() {
    return new HostAndPort(host, port);
  }

  /** A new admin connection named {@code switchback-<purpose>}; close it after use. */
  Jedis open(String purpose) {
    return open(purpose, SOCKET_TIMEOUT_MS);
  }

  Jedis open(String purpose, int socketTimeoutMs) {
    return new Jedis(hostAndPort(), config(OWN_NAME + "-" + purpose, socketTimeoutMs));
  }

  private JedisClientConfig config(String name, int socketTimeoutMs) {
    DefaultJedisClientConfig.Builder b =
        DefaultJedisClientConfig.builder()
            .clientName(name)
            .connectionTimeoutMillis(CONNECT_TIMEOUT_MS)
            .socketTimeoutMillis(socketTimeoutMs)
            // CLIENT SETINFO arrived in Redis 7.2; older servers answer it with an error.
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED);
    if (tls) {
      // The JVM's trust store verifies the server, as for any TLS client of the worker.
      b.sslOptions(SslOptions.defaults());
    }
    if (user != null) {
      b.user(user);
    }
    if (password != null) {
      b.password(password);
    }
    return b.build();
  }

  @Override
  public String toString() {
    // Never the password: this string goes into messages and workflow history.
    return field + " " + (tls ? "rediss://" : "redis://") + address();
  }

  static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + " (fix: " + fix + ")", FailureTypes.INVALID_PLAN);
  }
}
