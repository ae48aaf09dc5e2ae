package dev.switchback.plan;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The addresses of the proxies a router drives: PgBouncer's admin console and HAProxy's runtime
 * API. Checked from the text alone (the plan check runs in the workflow, which must be
 * deterministic).
 */
public final class ProxyUrls {
  /** PgBouncer's default port, when the admin URL gives none. */
  public static final int PGBOUNCER_PORT = 6432;

  private ProxyUrls() {}

  /**
   * The problem with a PgBouncer admin console URL, {@code postgres://user@host:port/pgbouncer}, or
   * null when it is one.
   */
  public static PlanProblem pgbouncerProblem(String field, String url) {
    URI uri = parse(url);
    String example = "write postgres://admin@host:6432/pgbouncer";
    if (uri == null) {
      return new PlanProblem(field, "'" + url + "' is not a URL", example);
    }
    String scheme = scheme(uri);
    if (!scheme.equals("postgres") && !scheme.equals("postgresql") || uri.getHost() == null) {
      return new PlanProblem(
          field, "'" + url + "' is not a postgres:// URL of PgBouncer's admin console", example);
    }
    if (uri.getRawUserInfo() == null || uri.getRawUserInfo().isEmpty()) {
      return new PlanProblem(
          field,
          "names no user",
          "name an admin_users (or stats_users can only read) user of PgBouncer: " + example);
    }
    if (uri.getRawUserInfo().contains(":")) {
      return new PlanProblem(
          field,
          "carries a password, which would be stored in workflow history",
          "remove it and write router.password: env:NAME or file:/path");
    }
    if (!"/pgbouncer".equals(uri.getPath())) {
      return new PlanProblem(
          field,
          "'" + url + "' does not name the admin console's database, pgbouncer",
          "end the URL with /pgbouncer: " + example);
    }
    if (uri.getRawQuery() != null) {
      return new PlanProblem(field, "takes no parameters (?" + uri.getRawQuery() + ")", example);
    }
    return null;
  }

  /**
   * The problem with an HAProxy runtime API address, {@code tcp://host:port} or {@code
   * unix:///path}, or null when it is one.
   */
  public static PlanProblem haproxyProblem(String field, String url) {
    URI uri = parse(url);
    String example = "write tcp://host:9999 or unix:///run/haproxy/admin.sock";
    if (uri == null) {
      return new PlanProblem(field, "'" + url + "' is not a URL", example);
    }
    String scheme = scheme(uri);
    if (scheme.equals("tcp")) {
      if (uri.getHost() == null || uri.getPort() < 1) {
        return new PlanProblem(field, "'" + url + "' needs a host and a port", example);
      }
      if ((uri.getPath() != null && !uri.getPath().isEmpty()) || uri.getRawUserInfo() != null) {
        return new PlanProblem(field, "'" + url + "' is more than a host and a port", example);
      }
      return null;
    }
    if (scheme.equals("unix")) {
      if (uri.getHost() != null || uri.getPath() == null || !uri.getPath().startsWith("/")) {
        return new PlanProblem(
            field, "'" + url + "' is not a socket path (three slashes: unix:///path)", example);
      }
      return null;
    }
    return new PlanProblem(field, "'" + url + "' is not an HAProxy runtime API address", example);
  }

  private static URI parse(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static String scheme(URI uri) {
    return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
  }
}
