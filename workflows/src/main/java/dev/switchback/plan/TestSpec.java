package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A smoke test run after the switch, against the side the application now uses. A failure rolls the
 * cutover back by itself.
 *
 * @param name shown in the timeline and the report
 * @param type {@code sql}, {@code http}, or {@code dts-data-check}: the result of the data
 *     verification DTS ran on the forward job (only with {@code migration.provider: dts}; passes
 *     when every checked table is consistent and a full check has finished)
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

  /** The test type that reads DTS's own data verification of the forward job. */
  public static final String DTS_DATA_CHECK = "dts-data-check";

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
