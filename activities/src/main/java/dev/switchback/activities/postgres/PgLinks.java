package dev.switchback.activities.postgres;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.PreflightCheck;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the provider's preflight reads about the subscriptions' links: how each is protected, and
 * whether a reverse link the plan wants encrypted can be made. Read-only.
 */
final class PgLinks {
  private PgLinks() {}

  /**
   * A subscription that exists is judged by its own connection string (an operator's forward
   * instance may differ from the plan's options); one still to be created by the plan's options.
   */
  static Transport link(MigrationContext ctx, PostgresProvider.Route r, String name) {
    String what = "subscription " + r.instance() + " on the " + r.subscriber().field();
    PgEndpoint to = r.publisher();
    String planned = to.field() + " (" + to.replicationHost() + ":" + to.replicationPort() + ")";
    String conninfo;
    try (Connection c = ctx.connections().connection(r.subscriber().field(), r.subscriberSpec())) {
      conninfo = Subscription.conninfo(c, r.instance());
    } catch (SQLException e) {
      return Transport.unknown(
          name,
          "cannot read the connection string of "
              + what
              + " ("
              + e.getMessage()
              + (Pg.is(e, Pg.INSUFFICIENT_PRIVILEGE)
                  ? "; pg_subscription.subconninfo is readable by superusers only)"
                  : ")"));
    }
    if (conninfo == null) {
      return PgTransport.link(
          name,
          what + " (created by Switchback)",
          planned,
          to.sslMode(),
          to.sslRootCert(),
          PgTransport.planFix(to, r.subscriber().field()));
    }
    Map<String, String> tls = PgTransport.tlsOf(conninfo);
    if (tls == null) {
      return Transport.unknown(name, "the connection string of " + what + " cannot be read");
    }
    String at =
        tls.containsKey("host")
            ? to.field()
                + " ("
                + tls.get("host")
                + (tls.containsKey("port") ? ":" + tls.get("port") : "")
                + ")"
            : planned;
    return PgTransport.link(
        name,
        what,
        at,
        tls.get("sslmode"),
        tls.get("sslrootcert"),
        "it exists already, so the plan's options do not change it: add sslmode=verify-full"
            + " sslrootcert=<the CA certificate's path on the "
            + r.subscriber().field()
            + "'s host> to its connection (ALTER SUBSCRIPTION "
            + r.instance()
            + " CONNECTION '...')");
  }

  /**
   * A reverse link the plan wants encrypted needs TLS on the destination, and its CA file on the
   * source's host: checked now, not when the reverse instance is created with the source fenced.
   */
  static List<PreflightCheck> reverseTls(MigrationContext ctx, PostgresProvider.Route rev) {
    List<PreflightCheck> out = new ArrayList<>();
    try (Connection src =
            ctx.connections().connection(rev.subscriber().field(), rev.subscriberSpec());
        Connection dst =
            ctx.connections().connection(rev.publisher().field(), rev.publisherSpec())) {
      String ssl = Pg.text(dst, "SHOW ssl");
      out.add(
          new PreflightCheck(
              "postgres: TLS on the destination",
              "on".equals(ssl),
              "ssl is "
                  + ssl
                  + " on the destination"
                  + ("on".equals(ssl)
                      ? ""
                      : ": the reverse instance (sslmode="
                          + rev.publisher().sslMode()
                          + ") cannot connect; set ssl = on with ssl_cert_file and ssl_key_file"
                          + " on the destination, or change destination.options."
                          + PgEndpoint.SSL_MODE)));
      String rootCert = rev.publisher().sslRootCert();
      if (rootCert != null && !rootCert.equals("system")) {
        out.add(caFile(src, rootCert));
      }
    } catch (SQLException e) {
      out.add(
          new PreflightCheck(
              "postgres: TLS for the reverse instance", false, "cannot check: " + e.getMessage()));
    }
    return out;
  }

  // The source's server process reads the file when it creates the reverse instance.
  private static PreflightCheck caFile(Connection src, String rootCert) {
    String name = "postgres: reverse link CA file on the source";
    try {
      Pg.text(src, "SELECT size FROM pg_stat_file(?)", rootCert);
      return new PreflightCheck(name, true, rootCert + " exists on the source's host");
    } catch (SQLException e) {
      if (!"58P01".equals(e.getSQLState())) {
        return PreflightCheck.warning(
            name,
            "cannot look for "
                + rootCert
                + " on the source's host ("
                + e.getMessage()
                + "); make sure it is there");
      }
      return new PreflightCheck(
          name,
          false,
          rootCert
              + " does not exist on the source's host, where the reverse instance reads it; copy"
              + " the destination's CA certificate there or fix destination.options."
              + PgEndpoint.SSL_ROOT_CERT);
    }
  }
}
