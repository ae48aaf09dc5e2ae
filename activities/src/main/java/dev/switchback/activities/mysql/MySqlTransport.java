package dev.switchback.activities.mysql;

import com.mysql.cj.conf.ConnectionUrl;
import com.mysql.cj.conf.PropertyDefinitions.SslMode;
import com.mysql.cj.conf.PropertyKey;
import com.mysql.cj.jdbc.JdbcPropertySetImpl;
import dev.switchback.activities.spi.Transport;
import org.mariadb.jdbc.Configuration;

/**
 * How MySQL/MariaDB connections are protected on the wire: the worker's JDBC connection, read from
 * its URL by the driver that will open it (MariaDB Connector/J for {@code jdbc:mariadb:}, MySQL
 * Connector/J for {@code jdbc:mysql:}), and a replication link, read from the plan's options or
 * from the channel's own status.
 */
final class MySqlTransport {
  private MySqlTransport() {}

  static Transport url(String field, String url) {
    if (url != null && url.startsWith("jdbc:mariadb:")) {
      String fix =
          "; add sslMode=verify-full&serverSslCert=<the CA certificate's path on the worker> to "
              + field
              + ".url";
      Configuration conf;
      try {
        conf = Configuration.parse(url);
      } catch (java.sql.SQLException | RuntimeException e) {
        return Transport.unknown(field, field + ".url cannot be read: " + e.getMessage());
      }
      if (conf == null) {
        return Transport.unknown(field, field + ".url is not a MariaDB Connector/J URL");
      }
      return Transport.of(
          field,
          field
              + ".url: MariaDB Connector/J sslMode "
              + conf.sslMode()
              + (url.toLowerCase(java.util.Locale.ROOT).matches(".*[?&](sslmode|usessl)=.*")
                  ? ""
                  : " (its default)"),
          switch (conf.sslMode()) {
            case DISABLE -> Transport.Mode.OFF;
            case ALLOW -> Transport.Mode.IF_OFFERED;
            case TRUST -> Transport.Mode.UNCHECKED;
            case VERIFY_CA -> Transport.Mode.CA;
            case VERIFY_FULL -> Transport.Mode.CA_AND_HOST;
          },
          fix);
    }
    if (url != null && url.startsWith("jdbc:mysql:")) {
      String fix =
          "; add sslMode=VERIFY_IDENTITY to "
              + field
              + ".url, with the server's CA in the worker's trust store"
              + " (or trustCertificateKeyStoreUrl=file:<path>)";
      SslMode mode;
      try {
        ConnectionUrl parsed = ConnectionUrl.getConnectionUrlInstance(url, null);
        JdbcPropertySetImpl props = new JdbcPropertySetImpl();
        props.initializeProperties(parsed.getMainHost().exposeAsProperties());
        mode = props.<SslMode>getEnumProperty(PropertyKey.sslMode).getValue();
      } catch (RuntimeException e) {
        return Transport.unknown(field, field + ".url cannot be read: " + e.getMessage());
      }
      return Transport.of(
          field,
          field + ".url: MySQL Connector/J sslMode " + mode,
          switch (mode) {
            case DISABLED -> Transport.Mode.OFF;
            case PREFERRED -> Transport.Mode.IF_OFFERED;
            case REQUIRED -> Transport.Mode.UNCHECKED;
            case VERIFY_CA -> Transport.Mode.CA;
            case VERIFY_IDENTITY -> Transport.Mode.CA_AND_HOST;
          },
          fix);
    }
    return Transport.unknown(field, field + ".url is neither jdbc:mariadb: nor jdbc:mysql:");
  }

  /**
   * A link Switchback will create, from the plan's options.
   *
   * @param what which channel on which server, for the detail
   * @param to the server it reaches, as the replica reaches it
   */
  static Transport planned(String link, String what, MySqlOptions.Address to, MySqlOptions.Tls t) {
    return judge(
        link,
        what
            + " (created by Switchback) reaches the "
            + t.side()
            + " ("
            + to
            + "), "
            + (t.mode() == null
                ? "no " + t.modeOption() + " (the replica's default)"
                : t.modeOption() + " " + t.mode()),
        t.encrypted(),
        t.ca(),
        "verify-identity".equals(t.mode()),
        "; set migration.options."
            + t.modeOption()
            + ": verify-identity and migration.options."
            + t.caOption()
            + ": <the CA certificate's path on the "
            + ("source".equals(t.side()) ? "destination" : "source")
            + "'s host>");
  }

  /** A channel that exists, from its own status: the plan's options do not change it. */
  static Transport existing(
      String link, String what, ReplicaStatus s, String side, String modeOpt) {
    boolean ca = s.sslCaFile() != null && !s.sslCaFile().isBlank();
    return judge(
        link,
        what + " reaches the " + side + " (" + s.sourceHost() + ":" + s.sourcePort() + ")",
        "Yes".equalsIgnoreCase(s.sslAllowed()),
        ca ? s.sslCaFile() : null,
        "Yes".equalsIgnoreCase(s.sslVerifyServerCert()),
        "; it exists already, so "
            + modeOpt
            + " does not change it: stop it and set MASTER_SSL=1, MASTER_SSL_CA='<CA path>',"
            + " MASTER_SSL_VERIFY_SERVER_CERT=1 (MySQL: SOURCE_SSL...) with CHANGE MASTER / CHANGE"
            + " REPLICATION SOURCE");
  }

  /** With a CA the replica checks the certificate chain; with the host flag its name too. */
  private static Transport judge(
      String link, String reach, boolean ssl, String ca, boolean host, String fix) {
    if (!ssl) {
      return Transport.plaintext(
          link,
          reach
              + ": no TLS, the binary log and the migration account's login cross in clear"
              + fix);
    }
    if (ca == null) {
      return Transport.unverified(
          link, reach + ": TLS, but no CA to check the server's certificate against" + fix);
    }
    return Transport.verified(
        link,
        reach
            + ": TLS, the server's certificate checked against "
            + ca
            + (host ? ", and its host name" : "; not its host name (verify-identity checks it)"));
  }
}
