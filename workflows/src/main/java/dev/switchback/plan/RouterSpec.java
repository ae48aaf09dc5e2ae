package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How the application is stopped, pointed and resumed.
 *
 * @param type {@code manual} (a human does it; the gate approval confirms it), {@code webhook} (the
 *     application's admin endpoints, see docs/webhook-router.md) or {@code pgbouncer}
 * @param url the webhook base URL (for example {@code https://app:8443/switchback})
 * @param token a secret reference for the webhook's bearer token, optional
 * @param timeout how long one router call may take, default {@code 10s}
 * @param signingKey a secret reference for the key the webhook router signs each request with
 *     (HMAC-SHA256, see docs/webhook-router.md); required unless the URL is on loopback
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouterSpec(String type, String url, String token, String timeout, String signingKey) {

  public static RouterSpec manual() {
    return new RouterSpec("manual", null, null, "10s", null);
  }

  public RouterSpec withDefaults() {
    return new RouterSpec(
        type == null ? "manual" : type, url, token, timeout == null ? "10s" : timeout, signingKey);
  }
}
