package dev.switchback.activities.mysql;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GTID replication as the migration instance: the forward instance is a replication channel
 * (MariaDB: a named connection) on the destination reading the source's binary log; the reverse
 * instance is a channel on the old source reading the destination's, started at the destination's
 * exact GTID position after the drain. The SQL dialect comes from the server's version.
 *
 * <p>Registered as {@code mysql} and as {@code mariadb}; both names drive either server.
 */
public class MySqlProvider implements MigrationProvider {
  private static final Logger log = LoggerFactory.getLogger(MySqlProvider.class);

  /** How long one drain check may wait inside MASTER_GTID_WAIT before the activity polls again. */
  private static final double GTID_WAIT_SECONDS = 0.5;

  private final String name;

  public MySqlProvider() {
    this("mysql");
  }

  /**
   * @param name {@code mysql} or {@code mariadb}, the name plans use
   */
  public MySqlProvider(String name) {
    if (!Set.of("mysql", "mariadb").contains(name)) {
      throw new IllegalArgumentException("provider name must be mysql or mariadb, not " + name);
    }
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public InstanceState describe(MigrationContext ctx, Direction direction) {
    String instance = instance(ctx.plan(), direction);
    Side replica = direction.to();
    try (Connection c = open(ctx, replica)) {
      Dialect d = Dialect.of(c);
      return ReplicaStatus.find(c, d, instance)
          .map(s -> s.toState("the " + replica.word()))
          .orElseGet(
              () ->
                  new InstanceState(
                      instance,
                      "NOT_FOUND",
                      false,
                      null,
                      null,
                      null,
                      "no replication channel '" + instance + "' on the " + replica.word()));
    } catch (SQLException e) {
      throw Sql.failure("describe the " + direction + " instance '" + instance + "'", e);
    }
  }

  @Override
  public String writerPosition(MigrationContext ctx, Direction direction) {
    Side writer = direction.from();
    try (Connection c = open(ctx, writer)) {
      Dialect d = Dialect.of(c);
      return clean(Sql.one(c, d.writerPositionQuery()));
    } catch (SQLException e) {
      throw Sql.failure("read the GTID position of the " + writer.word(), e);
    }
  }

  @Override
  public boolean drained(MigrationContext ctx, Direction direction, String target) {
    if (target == null || target.isBlank()) {
      return true;
    }
    Side replica = direction.to();
    try (Connection c = open(ctx, replica)) {
      Dialect d = Dialect.of(c);
      if (!d.mariadb()) {
        return "1".equals(Sql.one(c, "SELECT GTID_SUBSET(?, @@GLOBAL.gtid_executed)", target));
      }
      GtidPosition want = GtidPosition.parse(target);
      // Domains the replica itself originated (or logged through log_slave_updates) are in its
      // binary log; MASTER_GTID_WAIT only follows gtid_slave_pos, which never holds the
      // replica's own writes, so waiting on those domains would never end.
      GtidPosition logged = GtidPosition.parse(Sql.one(c, "SELECT @@GLOBAL.gtid_binlog_pos"));
      GtidPosition rest = logged.missing(want);
      if (rest.isEmpty()) {
        return true;
      }
      return "0"
          .equals(Sql.one(c, "SELECT MASTER_GTID_WAIT(?, ?)", rest.toString(), GTID_WAIT_SECONDS));
    } catch (SQLException e) {
      throw Sql.failure("check the drain of the " + direction + " instance", e);
    }
  }

  @Override
  public void pause(MigrationContext ctx, Direction direction) {
    String instance = instance(ctx.plan(), direction);
    Side replica = direction.to();
    try (Connection c = open(ctx, replica)) {
      Dialect d = Dialect.of(c);
      Optional<ReplicaStatus> s = ReplicaStatus.find(c, d, instance);
      if (s.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "cannot pause the "
                + direction
                + " instance: no replication channel '"
                + instance
                + "' on the "
                + replica.word(),
            FailureTypes.INSTANCE_STATE);
      }
      if (!(s.get().ioStopped() && s.get().sqlStopped())) {
        // STOP waits for the SQL thread to finish the event group it is applying.
        Sql.exec(c, d.stopReplica(instance));
        log.info("paused the {} instance '{}' on the {}", direction, instance, replica.word());
      }
    } catch (SQLException e) {
      throw Sql.failure("pause the " + direction + " instance '" + instance + "'", e);
    }
  }

  @Override
  public void createReverseIncremental(MigrationContext ctx) {
    CutoverPlan plan = ctx.plan();
    String reverse = MySqlOptions.reverseInstance(plan);
    String user = MySqlOptions.replicationUser(plan);
    String password = MySqlOptions.replicationPassword(ctx.connections().secrets(), plan);
    MySqlOptions.Address destination = MySqlOptions.destinationAddress(plan);
    MySqlOptions.Tls tls = MySqlOptions.destinationTls(plan);
    List<String> databases = MySqlOptions.databases(plan);
    try (Connection src = open(ctx, Side.SOURCE);
        Connection dst = open(ctx, Side.DESTINATION)) {
      Dialect ds = Dialect.of(src);
      Dialect dd = Dialect.of(dst);
      sameFamily(ds, dd);
      Optional<ReplicaStatus> existing = ReplicaStatus.find(src, ds, reverse);
      if (existing.isPresent()) {
        resumeCreation(src, ds, existing.get(), reverse, destination);
        return;
      }
      String start =
          ds.mariadb() ? positionMariaDb(src, ds, dst, reverse) : positionMySql(src, dst, reverse);
      Sql.exec(
          src,
          ds.changeSource(
              reverse,
              Sql.literal(src, destination.host()),
              destination.port(),
              Sql.literal(src, user),
              Sql.literal(src, password),
              tls,
              tls.ca() == null ? null : Sql.literal(src, tls.ca())));
      if (!databases.isEmpty()) {
        Sql.exec(src, ds.filter(reverse, databases));
      }
      Sql.exec(src, ds.startReplica(reverse));
      log.info(
          "created the reverse instance '{}' on the source, reading {} from {}",
          reverse,
          destination,
          start);
    } catch (SQLException e) {
      throw Sql.failure("create the reverse instance '" + reverse + "'", e);
    }
  }

  /**
   * A reverse channel already there: ours from an earlier attempt, or someone else's. One created
   * but never started (the attempt died between the two statements) is started; one that ran is
   * left as it is, so a retry never restarts a reverse instance someone paused.
   */
  private static void resumeCreation(
      Connection src, Dialect ds, ReplicaStatus s, String reverse, MySqlOptions.Address destination)
      throws SQLException {
    boolean same =
        destination.host().equalsIgnoreCase(s.sourceHost())
            && s.sourcePort() != null
            && s.sourcePort() == destination.port();
    if (!same) {
      throw ApplicationFailure.newNonRetryableFailure(
          "migration.reverseInstance '"
              + reverse
              + "' is already a replication channel on the source, reading from "
              + s.sourceHost()
              + ":"
              + s.sourcePort()
              + " instead of the destination "
              + destination
              + "; name another reverse instance or terminate that channel",
          FailureTypes.INVALID_PLAN);
    }
    if (!s.everConnected() && s.ioStopped() && s.sqlStopped() && s.sqlErrno() == 0) {
      Sql.exec(src, ds.startReplica(reverse));
      log.info("started the reverse instance '{}' created by an earlier attempt", reverse);
    }
  }

  /**
   * Sets the old source's replica position to everything the destination holds after the drain, in
   * every GTID domain: its own domain (the source's transactions, applied there by the forward
   * instance) and the destination's (its own transactions before the switch, such as the snapshot
   * load or admin work, which are not the application's and must not be replayed). The destination
   * then sends exactly the transactions it commits after this point. MASTER_DEMOTE_TO_ SLAVE would
   * take the source's own binary log position instead, which names no position in the destination's
   * domain, and the destination would resend that domain from its first binary log.
   */
  private static String positionMariaDb(Connection src, Dialect ds, Connection dst, String reverse)
      throws SQLException {
    GtidPosition destinationPos =
        GtidPosition.parse(Sql.one(dst, "SELECT @@GLOBAL.gtid_binlog_pos"))
            .merge(GtidPosition.parse(Sql.one(dst, "SELECT @@GLOBAL.gtid_slave_pos")));
    GtidPosition sourceLogged = GtidPosition.parse(Sql.one(src, "SELECT @@GLOBAL.gtid_binlog_pos"));
    GtidPosition notCarried = destinationPos.missing(sourceLogged);
    if (!notCarried.isEmpty()) {
      throw notDrained(notCarried.toString());
    }
    List<String> running = new ArrayList<>();
    for (ReplicaStatus other : ReplicaStatus.all(src, ds)) {
      if (!(other.ioStopped() && other.sqlStopped())) {
        running.add(other.channel().isEmpty() ? "(default)" : other.channel());
      }
    }
    if (!running.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the source runs replication connection(s) "
              + running
              + ": the reverse instance's start position is set in gtid_slave_pos, which MariaDB"
              + " only changes while every connection is stopped; stop them and retry",
          FailureTypes.INSTANCE_STATE);
    }
    Sql.exec(src, "SET GLOBAL gtid_slave_pos = " + Sql.literal(src, destinationPos.toString()));
    log.info("reverse instance '{}' starts after GTID position {}", reverse, destinationPos);
    return "GTID position " + destinationPos;
  }

  /**
   * MySQL auto-positioning sends what the replica's gtid_executed lacks. The destination's own
   * transactions before the switch are marked as applied on the old source (gtid_purged +) so they
   * are not replayed there; the source's own transactions are already in its set.
   */
  private static String positionMySql(Connection src, Connection dst, String reverse)
      throws SQLException {
    String destinationSet = clean(Sql.one(dst, "SELECT @@GLOBAL.gtid_executed"));
    String sourceSet = clean(Sql.one(src, "SELECT @@GLOBAL.gtid_executed"));
    String notCarried =
        clean(Sql.one(src, "SELECT GTID_SUBTRACT(?, ?)", sourceSet, destinationSet));
    if (!notCarried.isEmpty()) {
      throw notDrained(notCarried);
    }
    String destinationOnly =
        clean(Sql.one(src, "SELECT GTID_SUBTRACT(?, ?)", destinationSet, sourceSet));
    if (!destinationOnly.isEmpty()) {
      Sql.exec(src, "SET GLOBAL gtid_purged = " + Sql.literal(src, "+" + destinationOnly));
      log.info(
          "reverse instance '{}': destination transactions before the switch marked applied on"
              + " the source: {}",
          reverse,
          destinationOnly);
    }
    return "GTID set " + destinationSet;
  }

  private static ApplicationFailure notDrained(String missing) {
    return ApplicationFailure.newNonRetryableFailure(
        "the destination has not applied these source transactions: "
            + missing
            + ". The forward instance has not drained (or the source was written after the"
            + " fence); a reverse instance started now would skip or break on them. Prove the"
            + " drain first",
        FailureTypes.INSTANCE_STATE);
  }

  @Override
  public void terminate(MigrationContext ctx, Direction direction) {
    String instance = instance(ctx.plan(), direction);
    Side replica = direction.to();
    try (Connection c = open(ctx, replica)) {
      Dialect d = Dialect.of(c);
      Optional<ReplicaStatus> s = ReplicaStatus.find(c, d, instance);
      if (s.isEmpty()) {
        return;
      }
      if (!(s.get().ioStopped() && s.get().sqlStopped())) {
        Sql.exec(c, d.stopReplica(instance));
      }
      // RESET ... ALL forgets the channel and deletes its relay logs; nothing is held on the
      // writer side (binary logs expire by their own settings, there is no slot).
      Sql.exec(c, d.resetReplicaAll(instance));
      log.info("terminated the {} instance '{}' on the {}", direction, instance, replica.word());
    } catch (SQLException e) {
      throw Sql.failure("terminate the " + direction + " instance '" + instance + "'", e);
    }
  }

  @Override
  public List<PreflightCheck> preflight(MigrationContext ctx) {
    CutoverPlan plan = ctx.plan();
    List<PreflightCheck> out = new ArrayList<>();
    try (Connection src = open(ctx, Side.SOURCE);
        Connection dst = open(ctx, Side.DESTINATION)) {
      Dialect ds = Dialect.of(src);
      Dialect dd = Dialect.of(dst);
      boolean family = ds.mariadb() == dd.mariadb();
      out.add(
          new PreflightCheck(
              "mysql.servers",
              family,
              "source "
                  + ds
                  + ", destination "
                  + dd
                  + (family
                      ? ""
                      : ": GTID replication between MySQL and MariaDB is not possible")));
      if (!family) {
        return out;
      }
      binlogChecks(src, ds, "source", out);
      binlogChecks(dst, dd, "destination", out);
      out.addAll(MySqlLinks.reverseTls(plan, dst, dd));
      serverIdentity(src, dst, ds, out);
      forwardCheck(plan, dst, dd, out);
      reverseCheck(plan, src, ds, out);
      accountCheck(ctx, dst, out);
    } catch (SQLException e) {
      out.add(new PreflightCheck("mysql.reachable", false, e.getMessage()));
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck("mysql.plan", false, e.getOriginalMessage()));
    }
    return out;
  }

  private static void binlogChecks(Connection c, Dialect d, String side, List<PreflightCheck> out)
      throws SQLException {
    boolean logBin = "1".equals(Sql.one(c, "SELECT @@GLOBAL.log_bin"));
    out.add(
        new PreflightCheck(
            "mysql." + side + ".binlog",
            logBin,
            logBin
                ? "binary log on"
                : "the binary log is off on the "
                    + side
                    + ": start it with log_bin (the forward instance reads the source's, the"
                    + " reverse instance the destination's)"));
    String format = Sql.one(c, "SELECT @@GLOBAL.binlog_format");
    boolean row = "ROW".equalsIgnoreCase(format);
    out.add(
        new PreflightCheck(
            "mysql." + side + ".binlog_format",
            row,
            row
                ? "binlog_format ROW"
                : "binlog_format is " + format + ": set binlog_format=ROW on the " + side));
    if (!d.mariadb()) {
      String mode = Sql.one(c, "SELECT @@GLOBAL.gtid_mode");
      String consistency = Sql.one(c, "SELECT @@GLOBAL.enforce_gtid_consistency");
      boolean on = "ON".equalsIgnoreCase(mode) && "ON".equalsIgnoreCase(consistency);
      out.add(
          new PreflightCheck(
              "mysql." + side + ".gtid_mode",
              on,
              on
                  ? "gtid_mode ON"
                  : "gtid_mode "
                      + mode
                      + ", enforce_gtid_consistency "
                      + consistency
                      + ": both must be ON on the "
                      + side));
    }
  }

  private static void serverIdentity(
      Connection src, Connection dst, Dialect d, List<PreflightCheck> out) throws SQLException {
    String idS = Sql.one(src, "SELECT @@GLOBAL.server_id");
    String idD = Sql.one(dst, "SELECT @@GLOBAL.server_id");
    boolean distinct = !idS.equals(idD) && !"0".equals(idS) && !"0".equals(idD);
    out.add(
        new PreflightCheck(
            "mysql.server_id",
            distinct,
            "source server_id "
                + idS
                + ", destination "
                + idD
                + (distinct ? "" : ": each server needs its own non-zero server_id")));
    if (d.mariadb()) {
      String domS = Sql.one(src, "SELECT @@GLOBAL.gtid_domain_id");
      String domD = Sql.one(dst, "SELECT @@GLOBAL.gtid_domain_id");
      boolean slaveUpdates = "1".equals(Sql.one(dst, "SELECT @@GLOBAL.log_slave_updates"));
      boolean ok = !domS.equals(domD) || slaveUpdates;
      out.add(
          new PreflightCheck(
              "mariadb.gtid_domain_id",
              ok,
              "source domain "
                  + domS
                  + ", destination domain "
                  + domD
                  + (ok
                      ? ""
                      : ": with one shared domain the destination must log what it applies"
                          + " (log_slave_updates=ON) so its own writes continue the source's"
                          + " sequence; better, give each server its own gtid_domain_id")));
    }
  }

  private static void forwardCheck(
      CutoverPlan plan, Connection dst, Dialect dd, List<PreflightCheck> out) throws SQLException {
    String forward = MySqlOptions.forwardInstance(plan);
    Optional<ReplicaStatus> s = ReplicaStatus.find(dst, dd, forward);
    if (s.isEmpty()) {
      out.add(
          new PreflightCheck(
              "mysql.forward",
              false,
              "no replication channel '"
                  + forward
                  + "' on the destination: create the forward instance first"));
      return;
    }
    ReplicaStatus f = s.get();
    MySqlOptions.Address source = MySqlOptions.sourceAddress(plan);
    boolean fromSource =
        source.host().equalsIgnoreCase(f.sourceHost())
            && f.sourcePort() != null
            && f.sourcePort() == source.port();
    out.add(
        new PreflightCheck(
            "mysql.forward.source",
            fromSource,
            fromSource
                ? "channel '" + forward + "' reads from " + source
                : "channel '"
                    + forward
                    + "' reads from "
                    + f.sourceHost()
                    + ":"
                    + f.sourcePort()
                    + ", not from the plan's source "
                    + source
                    + "; if that is the same server, set migration.options.sourceAddress to"
                    + " what the channel uses"));
    out.add(
        new PreflightCheck(
            "mysql.forward.gtid",
            f.gtidPositioned(),
            f.gtidPositioned()
                ? "positioned by GTID"
                : "channel '"
                    + forward
                    + "' is positioned by file and offset: use MASTER_USE_GTID=slave_pos"
                    + " (MariaDB) or SOURCE_AUTO_POSITION=1 (MySQL) so the drain can be proved"));
  }

  private static void reverseCheck(
      CutoverPlan plan, Connection src, Dialect ds, List<PreflightCheck> out) throws SQLException {
    String reverse = MySqlOptions.reverseInstance(plan);
    MySqlOptions.Address destination = MySqlOptions.destinationAddress(plan);
    List<ReplicaStatus> all = ReplicaStatus.all(src, ds);
    Optional<ReplicaStatus> existing =
        all.stream().filter(r -> reverse.equalsIgnoreCase(r.channel())).findFirst();
    if (existing.isPresent()) {
      ReplicaStatus r = existing.get();
      boolean ours =
          destination.host().equalsIgnoreCase(r.sourceHost())
              && r.sourcePort() != null
              && r.sourcePort() == destination.port();
      out.add(
          new PreflightCheck(
              "mysql.reverse",
              ours,
              ours
                  ? "reverse channel '" + reverse + "' already reads from the destination"
                  : "channel '"
                      + reverse
                      + "' on the source reads from "
                      + r.sourceHost()
                      + ":"
                      + r.sourcePort()
                      + ": name another migration.reverseInstance"));
    } else {
      out.add(
          new PreflightCheck(
              "mysql.reverse",
              true,
              "reverse channel '" + reverse + "' will read from the destination " + destination));
    }
    if (ds.mariadb()) {
      List<String> running =
          all.stream()
              .filter(r -> !reverse.equalsIgnoreCase(r.channel()))
              .filter(r -> !(r.ioStopped() && r.sqlStopped()))
              .map(ReplicaStatus::channel)
              .toList();
      out.add(
          new PreflightCheck(
              "mariadb.source.replication",
              running.isEmpty(),
              running.isEmpty()
                  ? "no other replication on the source"
                  : "the source runs replication connection(s) "
                      + running
                      + ": the reverse instance's position is set in gtid_slave_pos, which needs"
                      + " them stopped when it is created"));
    }
  }

  private static void accountCheck(MigrationContext ctx, Connection dst, List<PreflightCheck> out)
      throws SQLException {
    CutoverPlan plan = ctx.plan();
    String user = MySqlOptions.replicationUser(plan);
    Map<String, Set<String>> grants = Grants.globalOf(dst, user);
    boolean canReplicate = grants.values().stream().anyMatch(p -> p.contains("REPLICATION SLAVE"));
    out.add(
        new PreflightCheck(
            "mysql.destination.migrationAccount",
            canReplicate,
            canReplicate
                ? "'" + user + "' has REPLICATION SLAVE on the destination " + grants.keySet()
                : "'"
                    + user
                    + "' lacks REPLICATION SLAVE on the destination (the reverse instance reads"
                    + " the destination's binary log with it): GRANT REPLICATION SLAVE ON *.* TO"
                    + " it"));
    String password;
    try {
      password = MySqlOptions.replicationPassword(ctx.connections().secrets(), plan);
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck("mysql.replicationPassword", false, e.getOriginalMessage()));
      return;
    }
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "5000");
    try (Connection login =
        DriverManager.getConnection(MySqlOptions.serverUrl(plan.destination().url()), props)) {
      String as = Sql.one(login, "SELECT CURRENT_USER()");
      out.add(
          new PreflightCheck(
              "mysql.destination.migrationAccount.login",
              true,
              "'" + user + "' logs in to the destination as " + as));
    } catch (SQLException e) {
      out.add(
          new PreflightCheck(
              "mysql.destination.migrationAccount.login",
              false,
              "'"
                  + user
                  + "' cannot log in to the destination ("
                  + e.getMessage()
                  + "); check migration.options.replicationPassword"));
    }
  }

  @Override
  public List<Transport> links(MigrationContext ctx) {
    return MySqlLinks.links(ctx);
  }

  private static void sameFamily(Dialect source, Dialect destination) {
    if (source.mariadb() != destination.mariadb()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "source is "
              + source
              + " and destination "
              + destination
              + ": GTID replication between MySQL and MariaDB is not possible",
          FailureTypes.INVALID_PLAN);
    }
  }

  private static String instance(CutoverPlan plan, Direction direction) {
    return direction == Direction.FORWARD
        ? MySqlOptions.forwardInstance(plan)
        : MySqlOptions.reverseInstance(plan);
  }

  private static Connection open(MigrationContext ctx, Side side) throws SQLException {
    return ctx.connections().connection(side.word(), ctx.plan().endpoint(side));
  }

  /** GTID sets come back with newlines between server UUIDs on MySQL. */
  static String clean(String gtids) {
    return gtids == null ? "" : gtids.replace("\n", "").replace("\r", "").trim();
  }
}
