package dev.switchback.activities.postgres;

import dev.switchback.activities.spi.Transport;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.postgresql.Driver;
import org.postgresql.jdbc.SslMode;
import org.postgresql.util.PSQLException;

/**
 * How PostgreSQL connections are protected on the wire: the worker's JDBC connection, read from its
 * URL as pgjdbc reads it, and a subscription's libpq link to its publisher, read from the {@code
 * sslmode} and {@code sslrootcert} of its connection string.
 */
final class PgTransport {
  static final Set<String> SSL_MODES =
      Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

  private PgTransport() {}

  /** Whether libpq checks the server's certificate in {@code sslmode}. */
  static boolean verifies(String sslMode) {
    return "verify-ca".equals(sslMode) || "verify-full".equals(sslMode);
  }

  /** Whether libpq refuses to connect without TLS in {@code sslmode}. */
  static boolean encrypts(String sslMode) {
    return "require".equals(sslMode) || verifies(sslMode);
  }

  /** The worker's admin connection to {@code field}, as pgjdbc reads {@code url}. */
  static Transport url(String field, String url) {
    Properties p = url == null ? null : Driver.parseURL(url, null);
    if (p == null) {
      return Transport.unknown(field, field + ".url is not a PostgreSQL JDBC URL pgjdbc can read");
    }
    String fix =
        "; add sslmode=verify-full&sslrootcert=<the CA certificate's path on the worker> to "
            + field
            + ".url";
    SslMode mode;
    try {
      mode = SslMode.of(p);
    } catch (PSQLException e) {
      return Transport.unknown(field, field + ".url: " + e.getMessage());
    }
    String factory = p.getProperty("sslfactory");
    if (factory != null && mode.requireEncryption() && !factory.endsWith(".LibPQFactory")) {
      return factory.endsWith(".NonValidatingFactory")
          ? Transport.unverified(
              field, field + ".url: sslfactory NonValidatingFactory accepts any certificate" + fix)
          : Transport.unknown(
              field, field + ".url: sslfactory " + factory + " decides what is checked");
    }
    String explicit = p.getProperty("sslmode");
    String said =
        field
            + ".url has "
            + (explicit != null
                ? "sslmode=" + explicit
                : "true".equals(p.getProperty("ssl")) || "".equals(p.getProperty("ssl"))
                    ? "ssl=true (pgjdbc: verify-full)"
                    : "no sslmode (pgjdbc's default, prefer)")
            + (mode.verifyCertificate()
                ? " and the CA "
                    + p.getProperty("sslrootcert", "in the worker's ~/.postgresql/root.crt")
                : "");
    return Transport.of(
        field, said, mode(mode.name().toLowerCase(Locale.ROOT).replace('_', '-')), fix);
  }

  /** libpq's sslmode in the words of {@link Transport.Mode}; null is libpq's default, prefer. */
  static Transport.Mode mode(String sslMode) {
    return switch (sslMode == null ? "prefer" : sslMode) {
      case "disable" -> Transport.Mode.OFF;
      case "allow", "prefer" -> Transport.Mode.IF_OFFERED;
      case "require" -> Transport.Mode.UNCHECKED;
      case "verify-ca" -> Transport.Mode.CA;
      case "verify-full" -> Transport.Mode.CA_AND_HOST;
      default -> throw new IllegalArgumentException("sslmode " + sslMode);
    };
  }

  /**
   * A subscription's link to its publisher {@code to}.
   *
   * @param link the check's name ({@code forward link}, {@code reverse link})
   * @param what which subscription on which server, for the detail
   * @param to the publisher's side and address ({@code source (10.0.0.5:5432)})
   * @param fix what to do when it is not verified
   */
  static Transport link(
      String link, String what, String to, String sslMode, String rootCert, String fix) {
    if (sslMode != null && !SSL_MODES.contains(sslMode)) {
      return Transport.unknown(
          link, what + " has sslmode=" + sslMode + ", which libpq does not know");
    }
    String said =
        what
            + " reaches the "
            + to
            + (sslMode == null
                ? " with no sslmode (libpq's default, prefer)"
                : " with sslmode=" + sslMode)
            + (verifies(sslMode)
                ? " and the CA "
                    + (rootCert != null
                        ? rootCert
                        : "in libpq's default root.crt of the subscriber")
                : "");
    return Transport.of(link, said, mode(sslMode), "; " + fix);
  }

  /** The fix for a link Switchback creates: the plan options of the endpoint it reaches. */
  static String planFix(PgEndpoint to, String subscriber) {
    return "set "
        + to.field()
        + ".options."
        + PgEndpoint.SSL_MODE
        + ": verify-full and "
        + to.field()
        + ".options."
        + PgEndpoint.SSL_ROOT_CERT
        + ": <the CA certificate's path on the "
        + subscriber
        + "'s host>";
  }

  /**
   * The {@code sslmode}, {@code sslrootcert}, {@code host} and {@code port} of a libpq connection
   * string, keyword/value or URI form; null when it cannot be read. Nothing else is kept: the
   * string holds a password.
   */
  static Map<String, String> tlsOf(String conninfo) {
    if (conninfo == null) {
      return null;
    }
    Map<String, String> all =
        conninfo.startsWith("postgresql://") || conninfo.startsWith("postgres://")
            ? uriParameters(conninfo)
            : keywords(conninfo);
    if (all == null) {
      return null;
    }
    Map<String, String> tls = new HashMap<>();
    for (String k : Set.of("sslmode", "sslrootcert", "host", "port")) {
      if (all.get(k) != null) {
        tls.put(k, k.equals("sslmode") ? all.get(k).toLowerCase(Locale.ROOT) : all.get(k));
      }
    }
    return tls;
  }

  // libpq: keyword = value, the value bare or in single quotes, backslash escaping the next char.
  private static Map<String, String> keywords(String s) {
    Map<String, String> out = new HashMap<>();
    int i = 0;
    int n = s.length();
    while (true) {
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= n) {
        return out;
      }
      int start = i;
      while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      String key = s.substring(start, i).toLowerCase(Locale.ROOT);
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= n || s.charAt(i) != '=' || key.isEmpty()) {
        return null;
      }
      i++;
      while (i < n && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      StringBuilder v = new StringBuilder();
      if (i < n && s.charAt(i) == '\'') {
        i++;
        while (i < n && s.charAt(i) != '\'') {
          if (s.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          v.append(s.charAt(i++));
        }
        if (i >= n) {
          return null; // unterminated quote
        }
        i++;
      } else {
        while (i < n && !Character.isWhitespace(s.charAt(i))) {
          if (s.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          v.append(s.charAt(i++));
        }
      }
      out.put(key, v.toString());
    }
  }

  private static Map<String, String> uriParameters(String uri) {
    Map<String, String> out = new HashMap<>();
    int q = uri.indexOf('?');
    // postgresql://[user[:password]@]host[:port][/db]: the host and port, never the user info.
    String authority = uri.substring(uri.indexOf("://") + 3, q < 0 ? uri.length() : q);
    authority = authority.substring(authority.lastIndexOf('@') + 1);
    int slash = authority.indexOf('/');
    authority = slash < 0 ? authority : authority.substring(0, slash);
    int colon = authority.lastIndexOf(':');
    if (colon > 0 && !authority.endsWith("]")) {
      out.put("port", authority.substring(colon + 1));
      authority = authority.substring(0, colon);
    }
    if (!authority.isEmpty()) {
      out.put("host", authority);
    }
    if (q < 0) {
      return out;
    }
    try {
      for (String pair : uri.substring(q + 1).split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          out.put(
              java.net.URLDecoder.decode(pair.substring(0, eq), "UTF-8").toLowerCase(Locale.ROOT),
              java.net.URLDecoder.decode(pair.substring(eq + 1), "UTF-8"));
        }
      }
    } catch (java.io.UnsupportedEncodingException | IllegalArgumentException e) {
      return null;
    }
    return out;
  }
}
