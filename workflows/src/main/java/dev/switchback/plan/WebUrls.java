package dev.switchback.plan;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The rule for the URLs Switchback calls over HTTP (the webhook router, smoke tests): {@code
 * https://}, or {@code http://} only to the worker's own loopback interface, and no credentials in
 * the URL. Plain HTTP across a network lets anyone on the path read the request and answer in the
 * application's place; a password in a URL would be stored in workflow history.
 *
 * <p>Loopback is decided from the URL's text, without a DNS lookup: the plan check runs in the
 * workflow, which must be deterministic, and a name that resolves to 127.0.0.1 today may not
 * tomorrow.
 */
public final class WebUrls {
  private WebUrls() {}

  /** The problem with {@code url} in {@code field}, or null when it keeps the rule. */
  public static PlanProblem problem(String field, String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return new PlanProblem(
          field, "'" + url + "' is not a URL (" + e.getReason() + ")", "write https://host/path");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
      return new PlanProblem(
          field, "'" + url + "' is not an http(s) URL", "write https://host/path");
    }
    if (uri.getRawUserInfo() != null) {
      return new PlanProblem(
          field,
          "carries credentials (user:password@), which would be stored in workflow history",
          "remove them; the webhook router authenticates with router.signingKey");
    }
    if (scheme.equals("http") && !isLoopback(uri.getHost())) {
      return new PlanProblem(
          field,
          "plain http:// to " + uri.getHost() + " can be read and answered by anyone on the path",
          "use https://; http:// is allowed only to localhost, 127.0.0.1 or [::1]");
    }
    return null;
  }

  /** Whether {@code host} (as a URI gives it) names the loopback interface. */
  public static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost")
        || h.equals("[::1]")
        || h.equals("::1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }
}
