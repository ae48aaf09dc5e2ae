package dev.switchback.activities.mysql;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The SQL a server speaks, chosen from {@code SELECT VERSION()} and never from configuration: a
 * plan that says {@code mysql} for a MariaDB server still gets MariaDB statements.
 *
 * <ul>
 *   <li>{@link Flavor#MARIADB}: named connections ({@code CHANGE MASTER 'name' TO}), GTID domains,
 *       {@code read_only} as the fence.
 *   <li>{@link Flavor#MYSQL_8_0}: channels ({@code FOR CHANNEL 'name'}); {@code CHANGE REPLICATION
 *       SOURCE TO} and {@code START REPLICA} from 8.0.23 (the old words before), {@code
 *       super_read_only} as the fence.
 *   <li>{@link Flavor#MYSQL_8_4}: 8.4 and later, where the old words are gone.
 * </ul>
 */
public final class Dialect {
  /** Server families with different replication statements. */
  public enum Flavor {
    MARIADB,
    MYSQL_8_0,
    MYSQL_8_4
  }

  private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)");

  private final Flavor flavor;
  private final String version;
  private final int major;
  private final int minor;
  private final int patch;

  private Dialect(Flavor flavor, String version, int major, int minor, int patch) {
    this.flavor = flavor;
    this.version = version;
    this.major = major;
    this.minor = minor;
    this.patch = patch;
  }

  /** The dialect of the server behind {@code c}. */
  public static Dialect of(Connection c) throws SQLException {
    return parse(Sql.one(c, "SELECT VERSION()"));
  }

  /**
   * The dialect for a {@code VERSION()} string such as {@code 10.11.6-MariaDB-log} or {@code
   * 8.4.3}.
   *
   * @throws ApplicationFailure non-retryable {@code InvalidPlan} for servers this provider cannot
   *     drive (MySQL before 8.0, MariaDB before 10.3)
   */
  public static Dialect parse(String version) {
    Matcher m = VERSION.matcher(version == null ? "" : version.trim());
    if (!m.find()) {
      throw unsupported(version, "its version cannot be read");
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    int patch = Integer.parseInt(m.group(3));
    if (version.toLowerCase().contains("mariadb")) {
      // MariaDB 10.x reports 5.5.5-10.x over the old handshake; VERSION() itself is clean.
      if (major < 10 || (major == 10 && minor < 3)) {
        throw unsupported(version, "MariaDB 10.3 or later is needed");
      }
      return new Dialect(Flavor.MARIADB, version, major, minor, patch);
    }
    if (major < 8) {
      throw unsupported(version, "MySQL 8.0 or later is needed (GTID auto-positioning, channels)");
    }
    Flavor f = (major == 8 && minor < 4) ? Flavor.MYSQL_8_0 : Flavor.MYSQL_8_4;
    return new Dialect(f, version, major, minor, patch);
  }

  private static ApplicationFailure unsupported(String version, String why) {
    return ApplicationFailure.newNonRetryableFailure(
        "server version '" + version + "' is not supported: " + why, FailureTypes.INVALID_PLAN);
  }

  public Flavor flavor() {
    return flavor;
  }

  public String version() {
    return version;
  }

  public boolean mariadb() {
    return flavor == Flavor.MARIADB;
  }

  boolean atLeast(int maj, int min, int pat) {
    if (major != maj) {
      return major > maj;
    }
    if (minor != min) {
      return minor > min;
    }
    return patch >= pat;
  }

  /** MySQL 8.0.23 brought CHANGE REPLICATION SOURCE TO; 8.0.22 START/STOP/SHOW REPLICA. */
  private boolean sourceWords() {
    return !mariadb() && atLeast(8, 0, 23);
  }

  private boolean replicaWords() {
    return !mariadb() && atLeast(8, 0, 22);
  }

  /** The connection name (MariaDB) or channel (MySQL) clause of a replication statement. */
  private String channelClause(String channel) {
    return " FOR CHANNEL " + Sql.literal(channel, true);
  }

  /**
   * The statement that makes the server a GTID replica of {@code host:port}; values are already
   * quoted literals. MariaDB positions from {@code gtid_slave_pos} (current_pos is discouraged: it
   * lets the server's own binary log override the position); MySQL from auto-positioning. The
   * link's TLS is written out whenever the plan sets a mode, so the server's version default never
   * decides (MariaDB 11.x changed it); without one the statement says nothing about TLS, as before.
   *
   * @param caLiteral the quoted CA path when {@code tls} verifies, else null
   */
  String changeSource(
      String channel,
      String hostLiteral,
      int port,
      String userLiteral,
      String passwordLiteral,
      MySqlOptions.Tls tls,
      String caLiteral) {
    if (mariadb()) {
      return "CHANGE MASTER "
          + Sql.literal(channel, true)
          + " TO MASTER_HOST="
          + hostLiteral
          + ", MASTER_PORT="
          + port
          + ", MASTER_USER="
          + userLiteral
          + ", MASTER_PASSWORD="
          + passwordLiteral
          + ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=10"
          + tls("MASTER_", tls, caLiteral);
    }
    if (sourceWords()) {
      return "CHANGE REPLICATION SOURCE TO SOURCE_HOST="
          + hostLiteral
          + ", SOURCE_PORT="
          + port
          + ", SOURCE_USER="
          + userLiteral
          + ", SOURCE_PASSWORD="
          + passwordLiteral
          + ", SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=10"
          + tls("SOURCE_", tls, caLiteral)
          + (tls.getPublicKey() ? ", GET_SOURCE_PUBLIC_KEY=1" : "")
          + channelClause(channel);
    }
    return "CHANGE MASTER TO MASTER_HOST="
        + hostLiteral
        + ", MASTER_PORT="
        + port
        + ", MASTER_USER="
        + userLiteral
        + ", MASTER_PASSWORD="
        + passwordLiteral
        + ", MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=10"
        + tls("MASTER_", tls, caLiteral)
        + (tls.getPublicKey() ? ", GET_MASTER_PUBLIC_KEY=1" : "")
        + channelClause(channel);
  }

  /**
   * As {@link #changeSource(String, String, int, String, String, MySqlOptions.Tls, String)} for a
   * link the plan says nothing about: no TLS options, no public key fetched.
   */
  String changeSource(
      String channel, String hostLiteral, int port, String userLiteral, String passwordLiteral) {
    return changeSource(
        channel,
        hostLiteral,
        port,
        userLiteral,
        passwordLiteral,
        new MySqlOptions.Tls("source", null, null, false),
        null);
  }

  /**
   * The link's TLS options. With a CA the replica checks the server's certificate chain (MariaDB
   * 10.11 refuses a server signed by another CA even without VERIFY_SERVER_CERT, measured in
   * deploy/lab/tls.sh's pair); VERIFY_SERVER_CERT adds the host name.
   */
  private static String tls(String p, MySqlOptions.Tls tls, String caLiteral) {
    if (tls.mode() == null) {
      return "";
    }
    return switch (tls.mode()) {
      case "disabled" -> ", " + p + "SSL=0";
      case "required" -> ", " + p + "SSL=1, " + p + "SSL_VERIFY_SERVER_CERT=0";
      case "verify-ca" ->
          ", " + p + "SSL=1, " + p + "SSL_CA=" + caLiteral + ", " + p + "SSL_VERIFY_SERVER_CERT=0";
      case "verify-identity" ->
          ", " + p + "SSL=1, " + p + "SSL_CA=" + caLiteral + ", " + p + "SSL_VERIFY_SERVER_CERT=1";
      default -> throw new IllegalArgumentException("TLS mode " + tls.mode());
    };
  }

  String startReplica(String channel) {
    if (mariadb()) {
      return "START SLAVE " + Sql.literal(channel, true);
    }
    return (replicaWords() ? "START REPLICA" : "START SLAVE") + channelClause(channel);
  }

  String stopReplica(String channel) {
    if (mariadb()) {
      return "STOP SLAVE " + Sql.literal(channel, true);
    }
    return (replicaWords() ? "STOP REPLICA" : "STOP SLAVE") + channelClause(channel);
  }

  String resetReplicaAll(String channel) {
    if (mariadb()) {
      return "RESET SLAVE " + Sql.literal(channel, true) + " ALL";
    }
    return (replicaWords() ? "RESET REPLICA ALL" : "RESET SLAVE ALL") + channelClause(channel);
  }

  /** Every replication channel's status, one row each (no error for a missing channel). */
  String showAllReplicas() {
    if (mariadb()) {
      return "SHOW ALL SLAVES STATUS";
    }
    return replicaWords() ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
  }

  /**
   * Restricts {@code channel} to {@code databases}. MariaDB keeps a connection's filters in memory
   * only (a restart forgets them unless they are in the option file); MySQL stores them with the
   * channel.
   */
  String filter(String channel, List<String> databases) {
    if (mariadb()) {
      String patterns = databases.stream().map(db -> db + ".%").collect(Collectors.joining(","));
      return "SET GLOBAL "
          + Sql.ident(channel)
          + ".replicate_wild_do_table = "
          + Sql.literal(patterns, true);
    }
    String patterns =
        databases.stream().map(db -> Sql.literal(db + ".%", true)).collect(Collectors.joining(","));
    return "CHANGE REPLICATION FILTER REPLICATE_WILD_DO_TABLE = ("
        + patterns
        + ")"
        + channelClause(channel);
  }

  /** Everything the server has written to its binary log, as a GTID position or set. */
  String writerPositionQuery() {
    return mariadb() ? "SELECT @@GLOBAL.gtid_binlog_pos" : "SELECT @@GLOBAL.gtid_executed";
  }

  /** The variable whose ON stops application writes and lets replication threads through. */
  String fenceVariable() {
    return mariadb() ? "read_only" : "super_read_only";
  }

  /** The process list: performance_schema's on MySQL 8.0.22+ when it is on. */
  String processlist(boolean performanceSchema) {
    if (!mariadb() && performanceSchema && atLeast(8, 0, 22)) {
      return "performance_schema.processlist";
    }
    return "information_schema.PROCESSLIST";
  }

  /**
   * Privileges whose holders write through the fence. MariaDB 10.11 took READ ONLY ADMIN out of
   * SUPER; 10.5.2 to 10.10 exempt both; before 10.5.2 SUPER. MySQL's super_read_only exempts no
   * account.
   */
  Set<String> fenceExemptPrivileges() {
    if (!mariadb()) {
      return Set.of();
    }
    if (atLeast(10, 11, 0)) {
      return Set.of("READ_ONLY ADMIN");
    }
    if (atLeast(10, 5, 2)) {
      return Set.of("READ_ONLY ADMIN", "SUPER");
    }
    return Set.of("SUPER");
  }

  /** Privileges that allow setting the fence variable (any one suffices). */
  Set<String> fencePrivileges() {
    if (mariadb()) {
      // Setting read_only is itself a READ ONLY ADMIN right, which SUPER no longer carries in
      // 10.11.
      return fenceExemptPrivileges();
    }
    return Set.of("SYSTEM_VARIABLES_ADMIN", "SUPER");
  }

  /** Privileges that allow ending other accounts' sessions (any one suffices). */
  Set<String> killPrivileges() {
    if (mariadb()) {
      return atLeast(10, 5, 2) ? Set.of("CONNECTION ADMIN", "SUPER") : Set.of("SUPER");
    }
    return Set.of("CONNECTION_ADMIN", "SUPER");
  }

  @Override
  public String toString() {
    return flavor + " (" + version + ")";
  }
}
