package dev.switchback.activities.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Pooled admin connections to the plan's endpoints, one small HikariCP pool per (url, user), shared
 * by all activities of the worker. Sessions are named {@value #APPLICATION_NAME} so the session
 * check can leave them out.
 */
public final class Connections implements AutoCloseable {
  public static final String APPLICATION_NAME = "switchback";
  private final Secrets secrets;
  private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

  public Connections(Secrets secrets) {
    this.secrets = secrets;
  }

  public Secrets secrets() {
    return secrets;
  }

  /** A pooled JDBC data source for {@code endpoint}; the password is resolved here. */
  public DataSource dataSource(String field, EndpointSpec endpoint) {
    String key = endpoint.url() + "|" + endpoint.user() + "|" + endpoint.password();
    return pools.computeIfAbsent(key, k -> open(field, endpoint));
  }

  /** A connection from the pool; close it to return it. */
  private static final long CONNECTION_TIMEOUT_MS = 5_000;

  public Connection connection(String field, EndpointSpec endpoint) throws SQLException {
    try {
      return dataSource(field, endpoint).getConnection();
    } catch (SQLTransientConnectionException e) {
      // The pool says only that it timed out; the driver's last error says why (refused, unknown
      // host, bad password), which is what the operator needs.
      if (!(e.getCause() instanceof SQLException cause) || cause.getMessage() == null) {
        throw e;
      }
      throw new SQLTransientConnectionException(
          "cannot connect to the "
              + field
              + " ("
              + endpoint.url()
              + ") within "
              + CONNECTION_TIMEOUT_MS / 1000
              + " s: "
              + cause.getMessage(),
          cause.getSQLState() != null ? cause.getSQLState() : e.getSQLState(),
          cause.getErrorCode(),
          e);
    }
  }

  private HikariDataSource open(String field, EndpointSpec endpoint) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(endpoint.url());
    if (endpoint.user() != null) {
      config.setUsername(endpoint.user());
    }
    String password = secrets.resolve(field + ".password", endpoint.password());
    if (password != null) {
      config.setPassword(password);
    }
    config.setPoolName("switchback-" + field);
    config.setMaximumPoolSize(4);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
    config.setIdleTimeout(60_000);
    // Fail in the activity, where Temporal retries, rather than at pool construction.
    config.setInitializationFailTimeout(-1);
    if (endpoint.url().startsWith("jdbc:postgresql:")) {
      config.addDataSourceProperty("ApplicationName", APPLICATION_NAME);
    } else if (endpoint.url().startsWith("jdbc:mariadb:")
        || endpoint.url().startsWith("jdbc:mysql:")) {
      config.addDataSourceProperty("connectionAttributes", "program_name:" + APPLICATION_NAME);
    } else if (endpoint.url().startsWith("jdbc:sqlserver:")) {
      // Shows as sys.dm_exec_sessions.program_name.
      config.addDataSourceProperty("applicationName", APPLICATION_NAME);
    } else if (endpoint.url().startsWith("jdbc:oracle:")) {
      // Shows as v$session.program.
      config.addDataSourceProperty("v$session.program", APPLICATION_NAME);
    }
    return new HikariDataSource(config);
  }

  @Override
  public void close() {
    pools.values().forEach(HikariDataSource::close);
    pools.clear();
  }
}
