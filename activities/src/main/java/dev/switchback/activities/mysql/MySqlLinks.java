package dev.switchback.activities.mysql;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the provider's preflight reads about the replication channels' links: how each is protected,
 * and whether the reverse link can be made as the plan wants it. Read-only.
 */
final class MySqlLinks {
  private MySqlLinks() {}

  /**
   * A reverse link the plan wants encrypted needs TLS on the destination: checked now, not when the
   * reverse instance first connects with the source fenced. A MySQL link without TLS cannot send a
   * caching_sha2_password unless the replica may fetch the server's key, which is off by default.
   */
  static List<PreflightCheck> reverseTls(CutoverPlan plan, Connection dst, Dialect dd)
      throws SQLException {
    List<PreflightCheck> out = new ArrayList<>();
    MySqlOptions.sourceTls(plan); // a bad option fails the preflight now, naming it
    MySqlOptions.Tls tls = MySqlOptions.destinationTls(plan);
    if (tls.encrypted()) {
      String have =
          Sql.showRows(dst, "SHOW GLOBAL VARIABLES LIKE 'have_ssl'").stream()
              .map(r -> Sql.text(r, "Value"))
              .findFirst()
              .orElse(null);
      boolean ok = have == null || "YES".equalsIgnoreCase(have);
      out.add(
          new PreflightCheck(
              "mysql.destination.tls",
              ok,
              have == null
                  ? "the destination does not report have_ssl; the reverse instance will find out"
                  : "have_ssl "
                      + have
                      + (ok
                          ? ""
                          : " on the destination: the reverse instance ("
                              + tls.modeOption()
                              + " "
                              + tls.mode()
                              + ") cannot connect; give the destination ssl_cert and ssl_key, or"
                              + " change migration.options."
                              + tls.modeOption())));
    }
    if (!dd.mariadb() && !tls.encrypted() && !tls.getPublicKey()) {
      String plugin;
      try {
        plugin =
            Sql.one(
                dst,
                "SELECT MAX(plugin) FROM mysql.user WHERE user = ?",
                MySqlOptions.replicationUser(plan));
      } catch (SQLException e) {
        plugin = null; // the admin may not read mysql.user: no warning then, the login check runs
      }
      if (plugin != null && plugin.contains("sha2")) {
        out.add(
            PreflightCheck.warning(
                "mysql.reverse.login",
                "the migration account uses "
                    + plugin
                    + " and the reverse link has no TLS: the replica can log in only while the"
                    + " destination has its password cached. Set migration.options."
                    + tls.modeOption()
                    + ": verify-identity (best), or "
                    + MySqlOptions.GET_SOURCE_PUBLIC_KEY
                    + ": true (which trusts whoever answers the connection)"));
      }
    }
    return out;
  }

  /** The forward and the reverse link: a channel that exists as it is, else as the plan says. */
  static List<Transport> links(MigrationContext ctx) {
    CutoverPlan plan = ctx.plan();
    return List.of(
        link(
            ctx,
            "forward link",
            Side.DESTINATION,
            MySqlOptions.forwardInstance(plan),
            MySqlOptions.sourceAddress(plan),
            MySqlOptions.sourceTls(plan)),
        link(
            ctx,
            "reverse link",
            Side.SOURCE,
            MySqlOptions.reverseInstance(plan),
            MySqlOptions.destinationAddress(plan),
            MySqlOptions.destinationTls(plan)));
  }

  /** A channel that exists is judged by its own status; one to be created by the plan. */
  private static Transport link(
      MigrationContext ctx,
      String name,
      Side replica,
      String channel,
      MySqlOptions.Address to,
      MySqlOptions.Tls tls) {
    String what = "channel '" + channel + "' on the " + replica.word();
    try (Connection c =
        ctx.connections().connection(replica.word(), ctx.plan().endpoint(replica))) {
      Optional<ReplicaStatus> s = ReplicaStatus.find(c, Dialect.of(c), channel);
      return s.isPresent()
          ? MySqlTransport.existing(
              name, what, s.get(), tls.side(), "migration.options." + tls.modeOption())
          : MySqlTransport.planned(name, what, to, tls);
    } catch (SQLException e) {
      return Transport.unknown(name, "cannot read " + what + ": " + e.getMessage());
    }
  }
}
