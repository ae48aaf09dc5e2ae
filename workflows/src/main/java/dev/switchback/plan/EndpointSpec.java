package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * One side of the cutover.
 *
 * @param engine {@code postgres}, {@code mysql}, {@code mariadb}, {@code sqlserver}, {@code
 *     oracle}, {@code redis} or {@code mongodb}
 * @param url how Switchback's admin connection reaches it: a JDBC URL, {@code redis://host:port} or
 *     {@code mongodb://...}. Carries no password.
 * @param user Switchback's admin account on this endpoint (fences, lists sessions)
 * @param password a secret reference ({@code env:NAME} or {@code file:/path}), or absent for
 *     trust/peer authentication
 * @param applicationAccounts the accounts the application writes with; the fence and the session
 *     check act on these (empty: every account but the migration account and Switchback's own)
 * @param options engine-specific settings
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EndpointSpec(
    String engine,
    String url,
    String user,
    String password,
    List<String> applicationAccounts,
    Map<String, String> options) {

  public EndpointSpec withDefaults() {
    return new EndpointSpec(
        engine,
        url,
        user,
        password,
        applicationAccounts == null ? List.of() : List.copyOf(applicationAccounts),
        options == null ? Map.of() : Map.copyOf(options));
  }

  public String option(String key, String fallback) {
    return options == null ? fallback : options.getOrDefault(key, fallback);
  }
}
