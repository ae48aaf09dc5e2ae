package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * How the application is stopped, pointed and resumed.
 *
 * @param type {@code manual} (a human does it; the gate approval confirms it), {@code webhook} (the
 *     application's admin endpoints, see docs/webhook-router.md), {@code pgbouncer} (PgBouncer's
 *     admin console: PAUSE, rewrite the database entry and RELOAD, RESUME) or {@code haproxy}
 *     (HAProxy's runtime API on a backend holding both servers)
 * @param url the webhook base URL (for example {@code https://app:8443/switchback}); webhook only
 * @param token a secret reference for the webhook's bearer token, optional
 * @param timeout how long one router call may take, default {@code 10s}; for PgBouncer this bounds
 *     the {@code PAUSE} that waits for the transactions in flight
 * @param signingKey a secret reference for the key the webhook router signs each request with
 *     (HMAC-SHA256, see docs/webhook-router.md); required unless the URL is on loopback
 * @param instances the proxies (pgbouncer, haproxy): one or more, treated as one
 * @param database pgbouncer: the {@code [databases]} entry the application connects to
 * @param password pgbouncer: a secret reference for the admin console user's password, optional
 * @param backend haproxy: the backend that holds the source and the destination server
 * @param sourceServer haproxy: the source's server name in {@code backend}
 * @param destinationServer haproxy: the destination's server name in {@code backend}
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouterSpec(
    String type,
    String url,
    String token,
    String timeout,
    String signingKey,
    List<RouterInstance> instances,
    String database,
    String password,
    String backend,
    String sourceServer,
    String destinationServer) {

  public static final String MANUAL = "manual";
  public static final String WEBHOOK = "webhook";
  public static final String PGBOUNCER = "pgbouncer";
  public static final String HAPROXY = "haproxy";

  /** A manual or webhook router (the fields of the proxy routers unset). */
  public RouterSpec(String type, String url, String token, String timeout, String signingKey) {
    this(type, url, token, timeout, signingKey, null, null, null, null, null, null);
  }

  /** A PgBouncer router over {@code instances} for the entry {@code database}. */
  public static RouterSpec pgbouncer(
      List<RouterInstance> instances, String database, String password, String timeout) {
    return new RouterSpec(
        PGBOUNCER, null, null, timeout, null, instances, database, password, null, null, null);
  }

  /** An HAProxy router over {@code instances} switching {@code backend} between two servers. */
  public static RouterSpec haproxy(
      List<RouterInstance> instances,
      String backend,
      String sourceServer,
      String destinationServer,
      String timeout) {
    return new RouterSpec(
        HAPROXY,
        null,
        null,
        timeout,
        null,
        instances,
        null,
        null,
        backend,
        sourceServer,
        destinationServer);
  }

  public static RouterSpec manual() {
    return new RouterSpec(MANUAL, null, null, "10s", null);
  }

  public RouterSpec withDefaults() {
    return new RouterSpec(
        type == null ? MANUAL : type,
        url,
        token,
        timeout == null ? "10s" : timeout,
        signingKey,
        instances,
        database,
        password,
        backend,
        sourceServer,
        destinationServer);
  }
}
