package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How the application is stopped, pointed and resumed.
 *
 * @param type {@code manual} (a human does it; the gate approval confirms it), {@code webhook} (the
 *     application's admin endpoints, see docs/webhook-router.md) or {@code pgbouncer}
 * @param url the webhook base URL (for example {@code http://app:8080/switchback})
 * @param token a secret reference for the webhook's bearer token, optional
 * @param timeout how long one router call may take, default {@code 10s}
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouterSpec(String type, String url, String token, String timeout) {

  public static RouterSpec manual() {
    return new RouterSpec("manual", null, null, "10s");
  }

  public RouterSpec withDefaults() {
    return new RouterSpec(
        type == null ? "manual" : type, url, token, timeout == null ? "10s" : timeout);
  }
}
