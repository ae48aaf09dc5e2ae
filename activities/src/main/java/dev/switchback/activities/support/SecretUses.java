package dev.switchback.activities.support;

import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ProxyUrls;
import dev.switchback.plan.RouterInstance;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Every secret reference a plan names, and the endpoints its value is sent to. */
final class SecretUses {
  /**
   * One use.
   *
   * @param endpoints {@code host:port} in lower case; null when a URL cannot be read
   * @param sentTo what the endpoints are, for messages
   * @param header whether the value goes into an HTTP header
   */
  record Use(
      String field, String reference, Set<String> endpoints, String sentTo, boolean header) {}

  private static final Map<String, Integer> DEFAULT_PORTS =
      Map.of(
          "postgresql", 5432,
          "postgres", 5432,
          "mysql", 3306,
          "mariadb", 3306,
          "sqlserver", 1433,
          "oracle", 1521,
          "redis", 6379,
          "rediss", 6379,
          "mongodb", 27017,
          "http", 80);

  private SecretUses() {}

  static List<Use> of(CutoverPlan plan) {
    List<Use> out = new ArrayList<>();
    // Endpoint passwords and the migration's secrets reach both database servers: native
    // replication stores the other side's credentials on the server that connects (a
    // subscription's conninfo, a channel's SOURCE_PASSWORD, a Redis masterauth).
    Set<String> databases = union(endpoints(plan.source()), endpoints(plan.destination()));
    String both = "the source and destination servers";
    add(
        out,
        "source.password",
        plan.source() == null ? null : plan.source().password(),
        databases,
        both);
    add(
        out,
        "destination.password",
        plan.destination() == null ? null : plan.destination().password(),
        databases,
        both);
    if (plan.migrationAccount() != null) {
      add(out, "migrationAccount.password", plan.migrationAccount().password(), databases, both);
    }
    if (plan.migration() != null && plan.migration().options() != null) {
      plan.migration().options().entrySet().stream()
          .filter(e -> isReference(e.getValue()))
          .sorted(Map.Entry.comparingByKey())
          .forEach(e -> add(out, "migration.options." + e.getKey(), e.getValue(), databases, both));
    }
    if (plan.router() != null && plan.router().token() != null) {
      out.add(
          new Use(
              "router.token",
              plan.router().token(),
              hosts(plan.router().url()),
              "router.url",
              true));
    }
    if (plan.router() != null && plan.router().password() != null) {
      out.add(
          new Use(
              "router.password",
              plan.router().password(),
              pgbouncers(plan.router().instances()),
              "router.instances",
              false));
    }
    return out;
  }

  /** The PgBouncer admin consoles' {@code host:port}, or null when one URL cannot be read. */
  private static Set<String> pgbouncers(List<RouterInstance> instances) {
    if (instances == null) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>();
    for (RouterInstance in : instances) {
      try {
        URI u = new URI(in == null ? "" : in.url());
        if (u.getHost() == null) {
          return null;
        }
        int port = u.getPort() != -1 ? u.getPort() : ProxyUrls.PGBOUNCER_PORT;
        out.add(u.getHost().toLowerCase(Locale.ROOT) + ":" + port);
      } catch (java.net.URISyntaxException | NullPointerException e) {
        return null;
      }
    }
    return out;
  }

  private static void add(
      List<Use> out, String field, String reference, Set<String> endpoints, String sentTo) {
    if (reference != null) {
      out.add(new Use(field, reference, endpoints, sentTo, false));
    }
  }

  private static boolean isReference(String v) {
    return v != null && (v.startsWith("env:") || v.startsWith("file:"));
  }

  private static Set<String> endpoints(EndpointSpec e) {
    if (e == null) {
      return null;
    }
    Set<String> hosts = hosts(e.url());
    String replicationHost = e.options() == null ? null : e.options().get("replicationHost");
    if (hosts != null && replicationHost != null) {
      String port = e.options().get("replicationPort");
      Set<String> more = new LinkedHashSet<>(hosts);
      more.add(
          replicationHost.toLowerCase(Locale.ROOT)
              + ":"
              + (port != null ? port : hosts.iterator().next().replaceAll(".*:", "")));
      return more;
    }
    return hosts;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    if (a == null || b == null) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>(a);
    out.addAll(b);
    return out;
  }

  // jdbc:oracle:thin:@host:port:sid, jdbc:oracle:thin:@//host:port/service
  private static final Pattern ORACLE =
      Pattern.compile("(?i)jdbc:oracle:thin:[^@]*@(?://)?([^:/?]+)(?::(\\d+))?.*");

  /**
   * The {@code host:port} endpoints a URL names (several for a multi-host URL), or null when the
   * URL cannot be read.
   */
  static Set<String> hosts(String url) {
    if (url == null) {
      return null;
    }
    Matcher oracle = ORACLE.matcher(url);
    if (oracle.matches()) {
      return Set.of(
          oracle.group(1).toLowerCase(Locale.ROOT)
              + ":"
              + (oracle.group(2) == null ? "1521" : oracle.group(2)));
    }
    String rest = url.startsWith("jdbc:") ? url.substring(5) : url;
    int schemeEnd = rest.indexOf("://");
    if (schemeEnd <= 0) {
      return null;
    }
    String scheme = rest.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
    Integer defaultPort = "https".equals(scheme) ? Integer.valueOf(443) : DEFAULT_PORTS.get(scheme);
    String authority = rest.substring(schemeEnd + 3).split("[/?;]", 2)[0];
    authority = authority.substring(authority.lastIndexOf('@') + 1);
    if (authority.isEmpty()) {
      return null;
    }
    Set<String> out = new LinkedHashSet<>();
    for (String h : authority.split(",")) {
      try {
        URI u = new URI("x://" + h);
        if (u.getHost() == null) {
          return null;
        }
        int port = u.getPort() != -1 ? u.getPort() : defaultPort == null ? -1 : defaultPort;
        if (port == -1) {
          return null;
        }
        out.add(u.getHost().toLowerCase(Locale.ROOT) + ":" + port);
      } catch (java.net.URISyntaxException e) {
        return null;
      }
    }
    return out;
  }
}
