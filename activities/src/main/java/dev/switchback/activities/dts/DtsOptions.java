package dev.switchback.activities.dts;

import dev.switchback.activities.FailureTypes;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.MigrationSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the DTS provider reads from {@code migration} in the plan. Only references and identifiers
 * live here, never credentials: the worker takes those from the Alibaba Cloud credential chain, so
 * nothing secret enters workflow history.
 *
 * @param jobId the forward DTS job ({@code migration.instance}, a DtsJobId)
 * @param regionId {@code migration.options.regionId}, e.g. {@code cn-hangzhou}
 * @param endpoint host[:port] of the DTS OpenAPI; default {@code dts.<regionId>.aliyuncs.com}
 * @param protocol {@code https}, or {@code http} when {@code options.endpoint} says so (tests)
 * @param dtsInstanceId {@code migration.options.dtsInstanceId}, passed where the API accepts it
 * @param reverseName the name Switchback gives the reverse job ({@code migration.reverseInstance})
 * @param reverseJobId {@code migration.options.reverseJobId}: adopt this reverse job instead of
 *     creating one (for a reverse job created by hand)
 */
public record DtsOptions(
    String jobId,
    String regionId,
    String endpoint,
    String protocol,
    String dtsInstanceId,
    String reverseName,
    String reverseJobId) {

  // reverseWritesThroughFence is the workflow's, read by MigrationSpec for every provider;
  // requireVerifiedTls the preflight's (docs/security.md, "Transport").
  static final Set<String> KNOWN =
      Set.of(
          "regionId",
          "endpoint",
          "dtsInstanceId",
          "reverseJobId",
          "reverseWritesThroughFence",
          "requireVerifiedTls");
  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+)+");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+(:\\d{1,5})?");

  /** Reads and checks the plan; every problem is reported before any call is made. */
  public static DtsOptions of(CutoverPlan plan) {
    MigrationSpec m = plan.migration();
    if (m == null || m.instance() == null || m.instance().isBlank()) {
      throw invalid("migration.instance", "missing", "give the forward DTS job id (DtsJobId)");
    }
    Map<String, String> o = m.options() == null ? Map.of() : m.options();
    for (String key : o.keySet()) {
      if (!KNOWN.contains(key)) {
        throw invalid(
            "migration.options." + key,
            "is not a DTS option",
            "use only " + new java.util.TreeSet<>(KNOWN));
      }
    }
    String region = o.get("regionId");
    if (region == null || !REGION.matcher(region).matches()) {
      throw invalid(
          "migration.options.regionId",
          region == null ? "missing" : "'" + region + "' is not a region id",
          "set the region of the DTS instance, e.g. regionId: cn-hangzhou");
    }
    String protocol = "https";
    String endpoint = o.getOrDefault("endpoint", "dts." + region + ".aliyuncs.com");
    if (endpoint.startsWith("http://")) {
      protocol = "http";
      endpoint = endpoint.substring("http://".length());
    } else if (endpoint.startsWith("https://")) {
      endpoint = endpoint.substring("https://".length());
    }
    if (endpoint.endsWith("/")) {
      endpoint = endpoint.substring(0, endpoint.length() - 1);
    }
    if (!HOST.matcher(endpoint).matches()) {
      throw invalid(
          "migration.options.endpoint",
          "'" + o.get("endpoint") + "' is not a host",
          "write a host such as dts." + region + ".aliyuncs.com, or leave it out");
    }
    for (String key : Set.of("dtsInstanceId", "reverseJobId")) {
      String v = o.get(key);
      if (v != null && !ID.matcher(v).matches()) {
        throw invalid(
            "migration.options." + key, "'" + v + "' is not a DTS id", "copy it from DTS");
      }
    }
    String reverseName = m.reverseInstance();
    if (reverseName == null) {
      reverseName = m.withDefaults(plan.name()).reverseInstance();
    }
    return new DtsOptions(
        m.instance(),
        region,
        endpoint,
        protocol,
        o.get("dtsInstanceId"),
        reverseName,
        o.get("reverseJobId"));
  }

  private static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }
}
