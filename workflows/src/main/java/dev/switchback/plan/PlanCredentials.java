package dev.switchback.plan;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A plan names secrets by reference and never carries one: the plan is workflow input, stored in
 * history for anyone with namespace access to read. Finds literal secrets in options and
 * credentials written into URLs. Never echoes the value it refuses.
 */
final class PlanCredentials {
  /** Option keys that hold a secret: {@code replicationPassword}, {@code apiToken}, ... */
  private static final Pattern SECRET_KEY =
      Pattern.compile(
          "(?i).*(password|passwd|pwd|secret|token|credential|private[-_]?key|api[-_]?key).*");

  static final Pattern REFERENCE = Pattern.compile("(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)");

  /**
   * {@code scheme://user:pw@}, {@code scheme://:pw@}, a {@code password=} (or {@code pwd=})
   * parameter, and Oracle's {@code jdbc:oracle:thin:user/pw@}.
   */
  private static final Pattern URL_CREDENTIALS =
      Pattern.compile(
          "(?i)(.*://[^/@?#;]*:[^/@?#;]*@.*)"
              + "|(.*[?&;](password|pwd|passwd)=.*)"
              + "|(jdbc:oracle:[a-z0-9]+:[^@/:]+/[^@]*@.*)");

  private static final Pattern USER_INFO = Pattern.compile("(?i).*://[^/@?#;]*@.*");

  private PlanCredentials() {}

  private static boolean passwordInQuery(String url) {
    return carriesCredentials(url) && !USER_INFO.matcher(url).matches();
  }

  static void check(CutoverPlan plan, List<PlanProblem> out) {
    if (plan.migration() != null) {
      options("migration.options", plan.migration().options(), out);
    }
    endpoint("source", plan.source(), out);
    endpoint("destination", plan.destination(), out);
    // user:password@ in router and test URLs is WebUrls' refusal (with its own fix); here only
    // what it does not look at, a password in the query string.
    if (plan.router() != null && passwordInQuery(plan.router().url())) {
      out.add(
          new PlanProblem(
              "router.url",
              "the URL carries credentials, which would be stored in workflow history",
              "remove them from the URL and set router.token: env:NAME or file:/path"));
    }
    List<TestSpec> tests = plan.tests() == null ? List.of() : plan.tests();
    for (int i = 0; i < tests.size(); i++) {
      if (passwordInQuery(tests.get(i).url())) {
        out.add(
            new PlanProblem(
                "tests[" + i + "].url",
                "the URL carries credentials, which would be stored in workflow history",
                "remove them: a smoke test's URL must answer without credentials"));
      }
    }
  }

  private static void endpoint(String field, EndpointSpec e, List<PlanProblem> out) {
    if (e == null) {
      return;
    }
    if (carriesCredentials(e.url())) {
      out.add(
          new PlanProblem(
              field + ".url",
              "the URL carries a password, which would be stored in workflow history",
              "remove it from the URL and set " + field + ".password: env:NAME or file:/path"));
    }
    options(field + ".options", e.options(), out);
  }

  private static void options(String field, Map<String, String> options, List<PlanProblem> out) {
    if (options == null) {
      return;
    }
    options.keySet().stream()
        .sorted()
        .filter(k -> SECRET_KEY.matcher(k).matches())
        .filter(k -> options.get(k) != null && !REFERENCE.matcher(options.get(k)).matches())
        .forEach(
            k ->
                out.add(
                    new PlanProblem(
                        field + "." + k,
                        "a literal secret would be stored in workflow history",
                        "write a reference: env:NAME (an environment variable of the worker) or"
                            + " file:/path (a file on the worker), within the worker's secret"
                            + " scope (docs/security.md)")));
  }

  static boolean carriesCredentials(String url) {
    return url != null && URL_CREDENTIALS.matcher(url).matches();
  }
}
