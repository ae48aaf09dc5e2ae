package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A smoke test run after the switch, against the side the application now uses. A failure rolls the
 * cutover back by itself.
 *
 * @param name shown in the timeline and the report
 * @param type {@code sql} or {@code http}
 * @param sql the statement; the test passes when it runs and, if {@code expect} is set, the first
 *     column of the first row renders as {@code expect}
 * @param url for {@code http}: the URL to GET; passes on {@code expectStatus} (default 200)
 * @param expect expected value (sql) or expected body substring (http)
 * @param expectStatus expected HTTP status, default 200
 * @param target {@code destination} (default) or {@code source}
 * @param timeout default {@code 30s}
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TestSpec(
    String name,
    String type,
    String sql,
    String url,
    String expect,
    Integer expectStatus,
    String target,
    String timeout) {

  public TestSpec withDefaults() {
    return new TestSpec(
        name,
        type != null ? type : (url != null ? "http" : "sql"),
        sql,
        url,
        expect,
        expectStatus == null ? 200 : expectStatus,
        target == null ? "destination" : target,
        timeout == null ? "30s" : timeout);
  }
}
