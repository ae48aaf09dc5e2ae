package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.support.Columns;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where a PgBouncer database entry sends its clients: the {@code host}, {@code port} and {@code
 * dbname} of its connection string, as PgBouncer's {@code SHOW DATABASES} reports them.
 *
 * @param host null when the entry names none (PgBouncer then uses its Unix socket)
 */
public record Upstream(String host, int port, String dbname) {

  /** PostgreSQL's port, PgBouncer's default for an entry without {@code port}. */
  static final int DEFAULT_PORT = 5432;

  /**
   * The upstream a plan's JDBC URL names ({@code jdbc:postgresql://host:port/db}).
   *
   * @throws IllegalArgumentException naming what the URL lacks
   */
  public static Upstream ofJdbcUrl(String url) {
    if (url == null || !url.regionMatches(true, 0, "jdbc:postgresql://", 0, 18)) {
      throw new IllegalArgumentException(
          "'" + url + "' is not a jdbc:postgresql://host:port/database URL");
    }
    String rest = url.substring("jdbc:".length());
    String authority = rest.substring("postgresql://".length()).split("[/?]", 2)[0];
    if (authority.contains(",")) {
      throw new IllegalArgumentException(
          "'"
              + url
              + "' names several hosts; a PgBouncer entry reaches one, so name the one PgBouncer"
              + " must use");
    }
    URI uri;
    try {
      uri = new URI(rest);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getMessage());
    }
    String host = uri.getHost();
    String path = uri.getRawPath();
    if (host == null || path == null || path.length() < 2) {
      throw new IllegalArgumentException(
          "'" + url + "' needs a host and a database: jdbc:postgresql://host:port/database");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1); // PgBouncer takes an IPv6 address bare
    }
    String db = URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8);
    return new Upstream(host, uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort(), db);
  }

  /** The upstream of a {@code SHOW DATABASES} row. */
  static Upstream of(Columns row) {
    String host = row.string("host");
    Long port = row.number("port");
    return new Upstream(
        host == null || host.isEmpty() ? null : host,
        port == null ? DEFAULT_PORT : port.intValue(),
        row.string("database"));
  }

  /** Whether both reach the same database; host names compare without case, as DNS does. */
  public boolean sameAs(Upstream o) {
    return o != null
        && port == o.port
        && java.util.Objects.equals(dbname, o.dbname)
        && (host == null
            ? o.host == null
            : o.host != null
                && host.toLowerCase(Locale.ROOT).equals(o.host.toLowerCase(Locale.ROOT)));
  }

  @Override
  public String toString() {
    return "host="
        + (host == null ? "(Unix socket)" : host)
        + " port="
        + port
        + " dbname="
        + dbname;
  }
}
