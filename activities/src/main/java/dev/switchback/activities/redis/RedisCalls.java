package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.function.Function;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/** Runs admin calls on a short-lived connection and turns Redis errors into activity failures. */
final class RedisCalls {
  private RedisCalls() {}

  /**
   * Opens a connection to {@code endpoint}, runs {@code work}, closes it. An unreachable server is
   * retryable (Temporal retries the activity); a permission error is not.
   */
  static <T> T on(RedisEndpoint endpoint, String purpose, Function<Jedis, T> work) {
    try (Jedis jedis = endpoint.open(purpose)) {
      return work.apply(jedis);
    } catch (JedisConnectionException e) {
      throw new RedisUnavailableException(
          "cannot reach " + endpoint + " (" + rootMessage(e) + ")", e);
    } catch (JedisAccessControlException e) {
      throw permission(endpoint, e);
    } catch (JedisDataException e) {
      if (isPermission(e)) {
        throw permission(endpoint, e);
      }
      throw e;
    }
  }

  /**
   * {@code ACL DRYRUN user cmd...}: {@code OK} or the server's refusal; null on a server before
   * 7.0, which has no ACL DRYRUN and cannot be asked.
   */
  static String dryRun(Jedis j, String user, List<String> cmd) {
    try {
      return j.aclDryRun(user, cmd.get(0), cmd.subList(1, cmd.size()).toArray(String[]::new));
    } catch (JedisDataException ex) {
      if (String.valueOf(ex.getMessage()).contains("unknown subcommand")) {
        return null;
      }
      throw ex;
    }
  }

  static boolean isPermission(JedisDataException e) {
    String m = String.valueOf(e.getMessage());
    return e instanceof JedisAccessControlException
        || m.startsWith("NOPERM")
        || m.startsWith("WRONGPASS")
        || m.startsWith("NOAUTH");
  }

  static ApplicationFailure permission(RedisEndpoint endpoint, JedisDataException e) {
    return ApplicationFailure.newNonRetryableFailure(
        endpoint
            + ": the admin account"
            + (endpoint.user() == null ? "" : " '" + endpoint.user() + "'")
            + " is refused ("
            + e.getMessage()
            + "); give it the commands Switchback needs (CLIENT, INFO, COMMAND, ACL, REPLICAOF,"
            + " CONFIG: e.g. ACL SETUSER <admin> +@admin +@connection +info +command) and check"
            + " its password reference",
        FailureTypes.PERMISSION);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The server did not answer; retrying may help. */
  static final class RedisUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedisUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
