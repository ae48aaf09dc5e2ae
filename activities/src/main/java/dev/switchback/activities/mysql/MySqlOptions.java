package dev.switchback.activities.mysql;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the MySQL/MariaDB provider reads from a plan. Options live under {@code migration.options}:
 *
 * <ul>
 *   <li>{@code replicationPassword}: a secret reference ({@code env:NAME} or {@code file:/path})
 *       for {@code migrationAccount.user}, the account the replica side logs in to the writer side
 *       with. Absent: the account has no password.
 *   <li>{@code sourceAddress} / {@code destinationAddress}: {@code host:port} of each server as the
 *       other server reaches it, when that differs from the host in the JDBC URL (containers,
 *       proxies).
 *   <li>{@code databases}: comma-separated databases the instances carry; when set, both instances
 *       replicate only these ({@code replicate_wild_do_table}) and the lab snapshot copies them.
 *   <li>{@code sourceSslMode} / {@code destinationSslMode}: TLS of the link that reaches that
 *       server (the forward instance reaches the source, the reverse instance the destination):
 *       {@code verify-identity} (the server's certificate and host name checked), {@code
 *       verify-ca}, {@code required} (encrypted, not checked) or {@code disabled}. Absent: the
 *       replica's default, plaintext on MariaDB 10.x.
 *   <li>{@code sourceSslCa} / {@code destinationSslCa}: the CA certificate that signed that
 *       server's certificate, as a path on the other server's host (the replica reads it); required
 *       by the verify modes.
 *   <li>{@code getSourcePublicKey}: {@code true} lets a MySQL replica fetch the writer side's RSA
 *       key to send a caching_sha2_password over a link without TLS. Whoever answers the connection
 *       can hand it a key of their own, so it is off unless asked for; TLS needs none.
 * </ul>
 */
public final class MySqlOptions {
  public static final String REPLICATION_PASSWORD = "replicationPassword";
  public static final String SOURCE_ADDRESS = "sourceAddress";
  public static final String DESTINATION_ADDRESS = "destinationAddress";
  public static final String DATABASES = "databases";
  public static final String SOURCE_SSL_MODE = "sourceSslMode";
  public static final String SOURCE_SSL_CA = "sourceSslCa";
  public static final String DESTINATION_SSL_MODE = "destinationSslMode";
  public static final String DESTINATION_SSL_CA = "destinationSslCa";
  public static final String GET_SOURCE_PUBLIC_KEY = "getSourcePublicKey";

  /** The link modes, from most to least protected. */
  static final List<String> SSL_MODES =
      List.of("verify-identity", "verify-ca", "required", "disabled");

  /** MySQL and MariaDB both cap channel (connection) names at 64 characters. */
  private static final int MAX_CHANNEL = 64;

  private static final Pattern URL =
      Pattern.compile(
          "(?i)^jdbc:(?:mariadb|mysql)(?::[a-z]+)*://(?:[^@/]*@)?"
              + "(\\[[^\\]]+\\]|[^:/,?;]+)(?::(\\d+))?[^/?]*(?:/([^?;]*))?.*$");

  private MySqlOptions() {}

  /** A server address as another server reaches it. */
  public record Address(String host, int port) {
    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /**
   * Where the replica reaches {@code endpoint}: the {@code override} option when set, else the
   * first host of the JDBC URL.
   */
  static Address address(EndpointSpec endpoint, String field, String overrideKey, String override) {
    if (override != null && !override.isBlank()) {
      int colon = override.lastIndexOf(':');
      try {
        if (colon > 0) {
          return new Address(
              override.substring(0, colon), Integer.parseInt(override.substring(colon + 1)));
        }
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
      throw ApplicationFailure.newNonRetryableFailure(
          "migration.options." + overrideKey + " '" + override + "' is not host:port",
          FailureTypes.INVALID_PLAN);
    }
    Matcher m = URL.matcher(endpoint.url() == null ? "" : endpoint.url());
    if (!m.matches()) {
      throw ApplicationFailure.newNonRetryableFailure(
          field
              + ".url '"
              + endpoint.url()
              + "' is not a jdbc:mariadb:// or jdbc:mysql:// URL with a host; set"
              + " migration.options."
              + overrideKey
              + " to host:port",
          FailureTypes.INVALID_PLAN);
    }
    String host = m.group(1);
    if (host.startsWith("[")) {
      host = host.substring(1, host.length() - 1);
    }
    return new Address(host, m.group(2) == null ? 3306 : Integer.parseInt(m.group(2)));
  }

  /** The database named in a JDBC URL's path, or null. */
  static String urlDatabase(String url) {
    Matcher m = URL.matcher(url == null ? "" : url);
    if (!m.matches() || m.group(3) == null || m.group(3).isBlank()) {
      return null;
    }
    return m.group(3);
  }

  /**
   * {@code url} without its database, parameters kept: how the migration account logs in. It holds
   * REPLICATION SLAVE and no privilege on the application's database, and a replication connection
   * names no database, so a login check must not ask for one.
   */
  static String serverUrl(String url) {
    int scheme = url == null ? -1 : url.indexOf("://");
    if (scheme < 0) {
      return url;
    }
    int slash = url.indexOf('/', scheme + 3);
    if (slash < 0) {
      return url;
    }
    int query = url.indexOf('?', slash);
    return url.substring(0, slash + 1) + (query < 0 ? "" : url.substring(query));
  }

  static Address sourceAddress(CutoverPlan plan) {
    return address(
        plan.source(), "source", SOURCE_ADDRESS, plan.migration().option(SOURCE_ADDRESS, null));
  }

  static Address destinationAddress(CutoverPlan plan) {
    return address(
        plan.destination(),
        "destination",
        DESTINATION_ADDRESS,
        plan.migration().option(DESTINATION_ADDRESS, null));
  }

  /** The databases named by {@code migration.options.databases}; empty when not set. */
  static List<String> databases(CutoverPlan plan) {
    String list = plan.migration().option(DATABASES, null);
    if (list == null || list.isBlank()) {
      return List.of();
    }
    List<String> dbs =
        Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String db : dbs) {
      if (!db.matches("[A-Za-z0-9_$]{1,64}")) {
        throw ApplicationFailure.newNonRetryableFailure(
            "migration.options.databases: '"
                + db
                + "' is not a plain database name (letters, digits, '_' or '$')",
            FailureTypes.INVALID_PLAN);
      }
    }
    return dbs;
  }

  /** The migration account's name, which the replica logs in to the writer side with. */
  static String replicationUser(CutoverPlan plan) {
    if (plan.migrationAccount() == null
        || plan.migrationAccount().user() == null
        || plan.migrationAccount().user().isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "migrationAccount.user is missing: name the account the replication channel logs in"
              + " with (it needs REPLICATION SLAVE on both servers)",
          FailureTypes.INVALID_PLAN);
    }
    return plan.migrationAccount().user();
  }

  /** The migration account's password, resolved from {@code replicationPassword}; "" when unset. */
  static String replicationPassword(Secrets secrets, CutoverPlan plan) {
    String ref = plan.migration().option(REPLICATION_PASSWORD, null);
    if (ref == null) {
      return "";
    }
    return secrets.resolve("migration.options." + REPLICATION_PASSWORD, ref);
  }

  /**
   * How a replication link to one server is protected.
   *
   * @param side {@code source} or {@code destination}: the server the link reaches
   * @param mode one of {@link #SSL_MODES}, or null when the plan sets none (the replica's default)
   * @param ca the CA file on the replica's host, set exactly for the verify modes
   * @param getPublicKey whether a MySQL replica may fetch the server's RSA key
   */
  record Tls(String side, String mode, String ca, boolean getPublicKey) {
    boolean encrypted() {
      return mode != null && !"disabled".equals(mode);
    }

    boolean verified() {
      return ca != null;
    }

    String modeOption() {
      return side + "SslMode";
    }

    String caOption() {
      return side + "SslCa";
    }
  }

  /** The forward link's TLS: it reaches the source. */
  static Tls sourceTls(CutoverPlan plan) {
    return tls(plan, "source", SOURCE_SSL_MODE, SOURCE_SSL_CA);
  }

  /** The reverse link's TLS: it reaches the destination. */
  static Tls destinationTls(CutoverPlan plan) {
    return tls(plan, "destination", DESTINATION_SSL_MODE, DESTINATION_SSL_CA);
  }

  private static Tls tls(CutoverPlan plan, String side, String modeKey, String caKey) {
    String rawMode = plan.migration().option(modeKey, null);
    String mode = null;
    if (rawMode != null) {
      mode = rawMode.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
      if (!SSL_MODES.contains(mode)) {
        throw invalid(
            modeKey,
            "'" + rawMode + "' is not a mode",
            "use verify-identity (TLS, the "
                + side
                + "'s certificate and host name checked), verify-ca, required or disabled");
      }
    }
    String replica = "source".equals(side) ? "destination" : "source";
    String ca = plan.migration().option(caKey, null);
    boolean verify = mode != null && mode.startsWith("verify-");
    if (verify && (ca == null || ca.isBlank())) {
      throw invalid(
          caKey,
          "missing for " + modeKey + " " + mode,
          "give the path of the CA certificate that signed the "
              + side
              + "'s certificate, on the "
              + replica
              + "'s host (its replica thread reads it)");
    }
    if (!verify && ca != null) {
      throw invalid(
          caKey,
          "is read only when the "
              + side
              + " is verified, and "
              + modeKey
              + " is "
              + (mode == null ? "not set" : mode),
          "set migration.options." + modeKey + ": verify-identity (or verify-ca)");
    }
    if (ca != null && (!ca.startsWith("/") || ca.chars().anyMatch(ch -> ch < 0x20))) {
      throw invalid(
          caKey,
          "'" + ca + "' is not an absolute path",
          "give the CA certificate's path on the "
              + replica
              + "'s host, e.g. /etc/mysql/ssl/"
              + side
              + "-ca.pem");
    }
    return new Tls(side, mode, ca, getPublicKey(plan));
  }

  private static boolean getPublicKey(CutoverPlan plan) {
    String v = plan.migration().option(GET_SOURCE_PUBLIC_KEY, null);
    if (v == null || "false".equalsIgnoreCase(v.strip())) {
      return false;
    }
    if ("true".equalsIgnoreCase(v.strip())) {
      return true;
    }
    throw invalid(
        GET_SOURCE_PUBLIC_KEY,
        "'" + v + "' is not true or false",
        "leave it out (TLS needs no key), or write true to let a MySQL replica fetch the"
            + " server's RSA key over a link without TLS");
  }

  private static ApplicationFailure invalid(String key, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        "migration.options." + key + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }

  static String forwardInstance(CutoverPlan plan) {
    return channel("migration.instance", plan.migration().instance());
  }

  static String reverseInstance(CutoverPlan plan) {
    String rev = plan.migration().reverseInstance();
    if (rev == null) {
      rev = "sb_rev_" + plan.name().replaceAll("[^A-Za-z0-9_]", "_").toLowerCase();
    }
    return channel("migration.reverseInstance", rev);
  }

  private static String channel(String field, String name) {
    if (name == null || name.isBlank() || name.length() > MAX_CHANNEL) {
      throw ApplicationFailure.newNonRetryableFailure(
          field
              + " '"
              + name
              + "' cannot name a replication channel: use 1 to "
              + MAX_CHANNEL
              + " characters",
          FailureTypes.INVALID_PLAN);
    }
    return name;
  }
}
