package dev.switchback.activities.dts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.tomakehurst.wiremock.http.Request;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the DTS OpenAPI (version 2020-01-01) documents, for tests that put a local server in its
 * place: the actions Switchback may call with the request parameters each page lists, the
 * ACS3-HMAC-SHA256 signature every request must carry, and the recorded responses under
 * src/test/resources/dts (README.md there names the page each follows). Shared by {@link
 * DtsProviderTest} and the end-to-end test that runs the whole cutover against {@link
 * SimulatedDts}.
 */
public final class DtsApiDocs {
  /** A made-up AccessKey pair: the local server checks the signature with it. */
  public static final String ACCESS_KEY_ID = "LTAI5tSwitchbackTestKey";

  public static final String ACCESS_KEY_SECRET = "switchback-test-secret";
  public static final String VERSION = "2020-01-01";

  /**
   * StartDtsJob and its batch form resume a paused task: the seed forbids it for the forward one.
   */
  public static final Set<String> RESUMING_ACTIONS = Set.of("StartDtsJob", "StartDtsJobs");

  private static final String PAGES =
      "https://www.alibabacloud.com/help/en/dts/developer-reference/";

  /**
   * Request parameters by action, as the page {@code PAGES + "api-" + action.toLowerCase()} lists
   * them (Action itself travels in the x-acs-action header under signature V3).
   */
  public static final Map<String, Set<String>> DOCUMENTED =
      Map.ofEntries(
          Map.entry(
              "DescribeDtsJobDetail",
              Set.of(
                  "DtsJobId",
                  "DtsInstanceID",
                  "SynchronizationDirection",
                  "RegionId",
                  "SyncSubJobHistory",
                  "ZeroEtlJob",
                  "ResourceGroupId")),
          Map.entry(
              "DescribeDtsJobs",
              Set.of(
                  "Type",
                  "Params",
                  "Region",
                  "Status",
                  "JobType",
                  "DtsJobId",
                  "PageSize",
                  "PageNumber")),
          Map.entry(
              "SuspendDtsJob",
              Set.of("DtsJobId", "DtsInstanceId", "SynchronizationDirection", "RegionId")),
          Map.entry(
              "StartDtsJob",
              Set.of("DtsJobId", "DtsInstanceId", "SynchronizationDirection", "RegionId")),
          Map.entry("StartDtsJobs", Set.of("DtsJobIds", "RegionId")),
          // StopDtsJob documents no RegionId.
          Map.entry("StopDtsJob", Set.of("DtsJobId", "DtsInstanceId", "SynchronizationDirection")),
          Map.entry(
              "DeleteDtsJob",
              Set.of(
                  "DtsJobId",
                  "DtsInstanceId",
                  "SynchronizationDirection",
                  "RegionId",
                  "JobType",
                  "ZeroEtlJob",
                  "ResourceGroupId")),
          Map.entry("ModifyDtsJobName", Set.of("DtsJobId", "DtsJobName", "RegionId")),
          Map.entry("CreateReverseDtsJob", Set.of("DtsJobId")),
          Map.entry("StartReverseWriter", Set.of("DtsJobId", "CheckPoint")),
          Map.entry(
              "DescribeDataCheckTableDetails",
              Set.of(
                  "DtsJobId",
                  "CheckType",
                  "Status",
                  "PageSize",
                  "PageNumber",
                  "TableName",
                  "SchemaName")),
          Map.entry(
              "DescribeDataCheckTableDiffDetails",
              Set.of("DtsJobId", "CheckType", "DbName", "TbName", "PageSize", "PageNumber")));

  private DtsApiDocs() {}

  /** The page documenting {@code action}. */
  public static String page(String action) {
    return PAGES + "api-" + action.toLowerCase(java.util.Locale.ROOT);
  }

  /** A recorded response body from src/test/resources/dts. */
  public static String recorded(String file) {
    try (InputStream in = DtsApiDocs.class.getResourceAsStream("/dts/" + file)) {
      if (in == null) {
        throw new IllegalStateException("no recorded response " + file);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The action a request names (signature V3 carries it in a header, not as a parameter). */
  public static String action(Request r) {
    return r.getHeader("x-acs-action");
  }

  /** The request parameters: the query string, and a form body if there is one. */
  public static Map<String, String> params(Request r) {
    Map<String, String> out = new TreeMap<>();
    String url = r.getUrl();
    decodeInto(url.contains("?") ? url.substring(url.indexOf('?') + 1) : "", out);
    String type = r.getHeader("Content-Type");
    if (type != null && type.startsWith("application/x-www-form-urlencoded")) {
      decodeInto(r.getBodyAsString(), out);
    }
    return out;
  }

  private static void decodeInto(String encoded, Map<String, String> out) {
    for (String kv : encoded.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int eq = kv.indexOf('=');
      out.put(
          URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8),
          eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
    }
  }

  /**
   * The request is a documented action of this API version, sent as the SDK sends RPC-style calls
   * (POST /), and carries only parameters its page lists.
   */
  public static void assertDocumented(Request r) {
    String action = action(r);
    Set<String> allowed = DOCUMENTED.get(action);
    if (allowed == null) {
      fail("'" + action + "' is not a DTS action Switchback may call: " + r.getUrl());
    }
    assertEquals(VERSION, r.getHeader("x-acs-version"), action + " API version");
    assertEquals("POST", r.getMethod().getName(), action + " method");
    for (String p : params(r).keySet()) {
      assertTrue(
          allowed.contains(p),
          action + " sent parameter '" + p + "', which " + page(action) + " does not list");
    }
  }

  /**
   * Recomputes the ACS3-HMAC-SHA256 signature the way "Request syntax and signature method V3"
   * documents it
   * (https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature)
   * and compares it with the request's: canonical request = method, path, sorted RFC 3986 query,
   * signed headers (host, x-acs-*, content-type) as name:value lines, their names, payload SHA-256.
   */
  public static void assertSignedV3(Request r) throws Exception {
    String auth = r.getHeader("Authorization");
    assertTrue(auth != null && auth.startsWith("ACS3-HMAC-SHA256 "), "unsigned request: " + auth);
    Map<String, String> parts = new HashMap<>();
    for (String kv : auth.substring("ACS3-HMAC-SHA256 ".length()).split(",")) {
      int eq = kv.indexOf('=');
      parts.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    assertEquals(ACCESS_KEY_ID, parts.get("Credential"));
    String signedHeaders = parts.get("SignedHeaders");
    for (String required :
        List.of("host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-version")) {
      assertTrue(signedHeaders.contains(required), required + " not signed: " + signedHeaders);
    }
    StringBuilder headers = new StringBuilder();
    for (String h : signedHeaders.split(";")) {
      headers.append(h).append(':').append(r.getHeader(h).trim()).append('\n');
    }
    String url = r.getUrl();
    String rawQuery = url.contains("?") ? url.substring(url.indexOf('?') + 1) : "";
    TreeMap<String, String> query = new TreeMap<>();
    for (String kv : rawQuery.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      query.put(percent(k), percent(v));
    }
    StringBuilder canonicalQuery = new StringBuilder();
    query.forEach(
        (k, v) ->
            canonicalQuery
                .append(canonicalQuery.length() == 0 ? "" : "&")
                .append(k)
                .append('=')
                .append(v));
    String payloadHash = hex(sha256(r.getBody()));
    assertEquals(payloadHash, r.getHeader("x-acs-content-sha256"));
    String canonicalRequest =
        r.getMethod().getName()
            + "\n/\n"
            + canonicalQuery
            + "\n"
            + headers
            + "\n"
            + signedHeaders
            + "\n"
            + payloadHash;
    String toSign =
        "ACS3-HMAC-SHA256\n" + hex(sha256(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(ACCESS_KEY_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String expected = hex(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    assertEquals(expected, parts.get("Signature"), "signature of " + action(r));
  }

  private static String percent(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8)
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~");
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b == null ? new byte[0] : b);
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
