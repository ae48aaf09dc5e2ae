package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.Properties;
import org.postgresql.Driver;

/**
 * Where a PostgreSQL endpoint is, read from its JDBC URL, and the libpq connection string another
 * server uses to reach it (a subscription's CONNECTION).
 *
 * <p>The host the worker uses is not always the host the other database server can use (for example
 * a container network). Endpoint options {@code replicationHost} and {@code replicationPort}
 * override them for the subscription's connection string; {@code replicationSslMode} and {@code
 * replicationSslRootCert} are its libpq {@code sslmode} and {@code sslrootcert} (a path on the
 * other server's host, which runs the subscription). The JDBC URL's own {@code sslmode} is not
 * carried over: its certificate paths are the worker's.
 *
 * @param field the plan field of this endpoint ({@code source} or {@code destination})
 * @param sslMode the subscription's sslmode, null when the plan sets none (libpq's default, prefer)
 * @param sslRootCert the CA file on the subscribing server's host, null for libpq's default
 */
record PgEndpoint(
    String field,
    String host,
    int port,
    String database,
    String user,
    String passwordRef,
    String replicationHost,
    int replicationPort,
    String sslMode,
    String sslRootCert) {

  static final String SSL_MODE = "replicationSslMode";
  static final String SSL_ROOT_CERT = "replicationSslRootCert";

  static PgEndpoint of(String field, EndpointSpec e) {
    if (e == null) {
      throw invalid(field, "missing", "add " + field + ": {engine: postgres, url: ..., user: ...}");
    }
    String url = e.url();
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw invalid(
          field + ".url",
          "'" + url + "' is not a PostgreSQL JDBC URL",
          "write jdbc:postgresql://host:5432/database");
    }
    Properties p = Driver.parseURL(url, null);
    if (p == null) {
      throw invalid(
          field + ".url",
          "'" + url + "' cannot be parsed",
          "write jdbc:postgresql://host:5432/database");
    }
    String hosts = p.getProperty("PGHOST", "localhost");
    String ports = p.getProperty("PGPORT", "5432");
    if (hosts.contains(",")) {
      throw invalid(
          field + ".url",
          "lists several hosts",
          "name the one primary server; a subscription connects to one");
    }
    String database = p.getProperty("PGDBNAME");
    if (database == null || database.isBlank()) {
      throw invalid(field + ".url", "names no database", "end the URL with /<database>");
    }
    String user = e.user() != null ? e.user() : p.getProperty("user");
    if (user == null || user.isBlank()) {
      throw invalid(field + ".user", "missing", "name Switchback's admin account on " + field);
    }
    int port = parsePort(field + ".url", ports);
    String rHost = e.option("replicationHost", hosts);
    int rPort = parsePort(field + ".options.replicationPort", e.option("replicationPort", ports));
    String sslMode = sslMode(field, e.option(SSL_MODE, null));
    String rootCert = rootCert(field, e.option(SSL_ROOT_CERT, null), sslMode);
    return new PgEndpoint(
        field, hosts, port, database, user, e.password(), rHost, rPort, sslMode, rootCert);
  }

  private static String sslMode(String field, String value) {
    if (value == null) {
      return null;
    }
    String mode = value.strip().toLowerCase(java.util.Locale.ROOT);
    if (!PgTransport.SSL_MODES.contains(mode)) {
      throw invalid(
          field + ".options." + SSL_MODE,
          "'" + value + "' is not a libpq sslmode",
          "use verify-full (TLS, the server's certificate and host name checked), or verify-ca,"
              + " require, prefer, allow, disable");
    }
    return mode;
  }

  private static String rootCert(String field, String value, String sslMode) {
    if (value == null) {
      return null;
    }
    String option = field + ".options." + SSL_ROOT_CERT;
    if (!PgTransport.verifies(sslMode)) {
      throw invalid(
          option,
          "is read only when the server is verified, and "
              + field
              + ".options."
              + SSL_MODE
              + " is "
              + (sslMode == null ? "not set" : sslMode),
          "set " + field + ".options." + SSL_MODE + ": verify-full (or verify-ca)");
    }
    if (!(value.startsWith("/") || value.equals("system"))
        || value.chars().anyMatch(ch -> ch < 0x20)) {
      throw invalid(
          option,
          "'" + value + "' is not an absolute path",
          "give the CA certificate's path on the host of the server that subscribes to the "
              + field
              + " (it reads the file, not the worker), e.g. /etc/postgresql/ssl/"
              + field
              + "-ca.pem");
    }
    return value;
  }

  /**
   * The libpq connection string for a subscription on the other server, password resolved from its
   * reference. The result holds a secret: never log it or put it in an exception.
   */
  String conninfo(Secrets secrets) {
    StringBuilder b = new StringBuilder();
    b.append("host=").append(value(replicationHost));
    b.append(" port=").append(replicationPort);
    b.append(" dbname=").append(value(database));
    b.append(" user=").append(value(user));
    String password = secrets.resolve(field + ".password", passwordRef);
    if (password != null) {
      b.append(" password=").append(value(password));
    }
    b.append(tlsKeywords());
    return b.toString();
  }

  private String tlsKeywords() {
    StringBuilder b = new StringBuilder();
    if (sslMode != null) {
      b.append(" sslmode=").append(value(sslMode));
    }
    if (sslRootCert != null) {
      b.append(" sslrootcert=").append(value(sslRootCert));
    }
    return b.toString();
  }

  /** The connection string with the password masked, for messages. */
  String describe() {
    return "host="
        + replicationHost
        + " port="
        + replicationPort
        + " dbname="
        + database
        + " user="
        + user
        + tlsKeywords();
  }

  // libpq: a value in single quotes, with backslash and single quote escaped by a backslash.
  private static String value(String v) {
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static int parsePort(String field, String port) {
    try {
      return Integer.parseInt(port);
    } catch (NumberFormatException ex) {
      throw invalid(field, "port '" + port + "' is not a number", "write a port such as 5432");
    }
  }

  private static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }
}
