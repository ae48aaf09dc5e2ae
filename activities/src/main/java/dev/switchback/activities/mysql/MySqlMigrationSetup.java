package dev.switchback.activities.mysql;

import dev.switchback.activities.support.Connections;
import dev.switchback.plan.CutoverPlan;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates what an operator creates before a cutover, for the lab, the demo and the tests: the
 * migration account and the forward instance from a consistent snapshot.
 *
 * <p>The snapshot is copied over JDBC rather than with mariadb-dump/mysqldump: the worker image
 * needs no client binaries, one code path serves both servers, and the GTID position is taken from
 * the same transaction that reads the rows. On MariaDB {@code START TRANSACTION WITH CONSISTENT
 * SNAPSHOT} publishes the binary log position of the snapshot (binlog_snapshot_file/_position),
 * turned into a GTID position with BINLOG_GTID_POS(), so no global lock is taken; MySQL has no such
 * status, so the snapshot is opened under a brief FLUSH TABLES WITH READ LOCK (as mysqldump
 * --single-transaction --source-data does) to read gtid_executed at the same point. The copy covers
 * base tables (definitions and rows); views, routines, triggers and events are not copied.
 */
public final class MySqlMigrationSetup {
  private static final Logger log = LoggerFactory.getLogger(MySqlMigrationSetup.class);
  private static final int BATCH = 500;

  private MySqlMigrationSetup() {}

  /**
   * Creates {@code migrationAccount.user} on both servers with REPLICATION SLAVE (and the status
   * privilege), identified by {@code migration.options.replicationPassword}. Not written to the
   * binary logs: each server keeps its own accounts.
   */
  public static void createMigrationAccount(Connections connections, CutoverPlan plan)
      throws SQLException {
    String user = MySqlOptions.replicationUser(plan);
    String password = MySqlOptions.replicationPassword(connections.secrets(), plan);
    for (String side : List.of("source", "destination")) {
      try (Connection c =
          connections.connection(
              side, side.equals("source") ? plan.source() : plan.destination())) {
        String account = Sql.literal(c, user) + "@'%'";
        String pw = Sql.literal(c, password);
        withoutBinlog(
            c,
            () -> {
              Sql.exec(c, "CREATE USER IF NOT EXISTS " + account + " IDENTIFIED BY " + pw);
              Sql.exec(c, "ALTER USER " + account + " IDENTIFIED BY " + pw);
              Sql.exec(c, "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO " + account);
            });
      }
    }
  }

  /**
   * Creates and starts the forward instance (channel {@code migration.instance} on the destination)
   * from a consistent snapshot of {@code migration.options.databases} (or the source URL's
   * database). The destination must not hold those tables yet. Fails, before copying anything, when
   * the destination's binary log is ahead of the source in a GTID domain both have (see {@link
   * #createForward(Connections, CutoverPlan, boolean)}).
   */
  public static String createForward(Connections connections, CutoverPlan plan)
      throws SQLException {
    return createForward(connections, plan, false);
  }

  /**
   * As {@link #createForward(Connections, CutoverPlan)}.
   *
   * @param resetDestinationBinlog reset the destination's binary log and set its GTID state to the
   *     snapshot's (MariaDB: RESET MASTER + gtid_binlog_state; MySQL: RESET MASTER + gtid_purged),
   *     as a server restored from a backup is. Needed on MariaDB when the destination has logged
   *     its own transactions past what the source holds in the same domain: with gtid_strict_mode
   *     its replica position must name them and the source would refuse it (error 1236). Only for a
   *     destination that is nothing but this migration's copy.
   * @return the GTID position or set of the snapshot
   */
  public static String createForward(
      Connections connections, CutoverPlan plan, boolean resetDestinationBinlog)
      throws SQLException {
    String forward = MySqlOptions.forwardInstance(plan);
    List<String> databases = MySqlOptions.databases(plan);
    List<String> copy = databases;
    if (copy.isEmpty()) {
      String db = MySqlOptions.urlDatabase(plan.source().url());
      if (db == null) {
        throw new IllegalArgumentException(
            "name the databases to copy: migration.options.databases or a database in source.url");
      }
      copy = List.of(db);
    }
    MySqlOptions.Address source = MySqlOptions.sourceAddress(plan);
    MySqlOptions.Tls tls = MySqlOptions.sourceTls(plan);
    String user = MySqlOptions.replicationUser(plan);
    String password = MySqlOptions.replicationPassword(connections.secrets(), plan);
    try (Connection src = connections.connection("source", plan.source());
        Connection dst = connections.connection("destination", plan.destination())) {
      Dialect ds = Dialect.of(src);
      Dialect dd = Dialect.of(dst);
      if (ds.mariadb() != dd.mariadb()) {
        throw new IllegalStateException("source " + ds + " and destination " + dd + " differ");
      }
      if (ReplicaStatus.find(dst, dd, forward).isPresent()) {
        throw new IllegalStateException(
            "the forward instance '" + forward + "' already exists on the destination");
      }
      for (ReplicaStatus r : ReplicaStatus.all(dst, dd)) {
        if (!(r.ioStopped() && r.sqlStopped())) {
          throw new IllegalStateException(
              "the destination runs replication channel '"
                  + r.channel()
                  + "': stop it first (the forward instance's position is set globally)");
        }
      }
      if (dd.mariadb() && !resetDestinationBinlog) {
        checkNotAhead(src, dst);
      }
      String snapshot = snapshotCopy(src, ds, dst, copy);
      if (dd.mariadb()) {
        positionMariaDb(dst, GtidPosition.parse(snapshot), resetDestinationBinlog);
      } else {
        positionMySql(dst, dd, snapshot, resetDestinationBinlog);
      }
      Sql.exec(
          dst,
          dd.changeSource(
              forward,
              Sql.literal(dst, source.host()),
              source.port(),
              Sql.literal(dst, user),
              Sql.literal(dst, password),
              tls,
              tls.ca() == null ? null : Sql.literal(dst, tls.ca())));
      if (!databases.isEmpty()) {
        Sql.exec(dst, dd.filter(forward, databases));
      }
      Sql.exec(dst, dd.startReplica(forward));
      log.info(
          "forward instance '{}' created on the destination from a snapshot of {} at {}",
          forward,
          copy,
          snapshot);
      return snapshot;
    }
  }

  /** Refuses before any copy when the source would reject the replica position (error 1236). */
  private static void checkNotAhead(Connection src, Connection dst) throws SQLException {
    GtidPosition sourcePos = GtidPosition.parse(Sql.one(src, "SELECT @@GLOBAL.gtid_binlog_pos"));
    GtidPosition destinationLogged =
        GtidPosition.parse(Sql.one(dst, "SELECT @@GLOBAL.gtid_binlog_pos"));
    GtidPosition ahead = destinationLogged.aheadOf(sourcePos);
    if (!ahead.isEmpty()) {
      throw new IllegalStateException(
          "the destination's binary log is ahead of the source in GTID domain(s) "
              + ahead
              + " (source: "
              + sourcePos
              + "): with gtid_strict_mode the destination must ask for them and the source would"
              + " refuse. Reset the destination's binary log (resetDestinationBinlog) if it is only"
              + " this migration's copy, or replicate those transactions to the source first");
    }
  }

  private static String snapshotCopy(Connection src, Dialect ds, Connection dst, List<String> dbs)
      throws SQLException {
    src.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    String snapshot;
    if (ds.mariadb()) {
      Sql.exec(src, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
      Map<String, String> status =
          Sql.showRows(src, "SHOW STATUS LIKE 'binlog_snapshot_%'").stream()
              .collect(
                  Collectors.toMap(
                      r -> Sql.text(r, "Variable_name").toLowerCase(), r -> Sql.text(r, "Value")));
      snapshot =
          Sql.one(
              src,
              "SELECT BINLOG_GTID_POS(?, ?)",
              status.get("binlog_snapshot_file"),
              Long.parseLong(status.get("binlog_snapshot_position")));
      if (snapshot == null) {
        throw new IllegalStateException(
            "the source's binary log position of the snapshot has no GTID position: is log_bin on?");
      }
    } else {
      Sql.exec(src, "FLUSH TABLES WITH READ LOCK");
      try {
        Sql.exec(src, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
        snapshot = MySqlProvider.clean(Sql.one(src, "SELECT @@GLOBAL.gtid_executed"));
      } finally {
        Sql.exec(src, "UNLOCK TABLES");
      }
    }
    try {
      withoutBinlog(
          dst,
          () -> {
            String fk = Sql.one(dst, "SELECT @@SESSION.foreign_key_checks");
            Sql.exec(dst, "SET SESSION foreign_key_checks = 0");
            try {
              for (String db : dbs) {
                copyDatabase(src, dst, db);
              }
            } finally {
              Sql.exec(dst, "SET SESSION foreign_key_checks = " + Long.parseLong(fk));
            }
          });
      Sql.exec(src, "COMMIT");
    } catch (SQLException | RuntimeException e) {
      Sql.exec(src, "ROLLBACK");
      throw e;
    }
    return snapshot;
  }

  private static void copyDatabase(Connection src, Connection dst, String db) throws SQLException {
    String createDb =
        Sql.text(
            Sql.showRows(src, "SHOW CREATE DATABASE " + Sql.ident(db)).get(0), "Create Database");
    Sql.exec(dst, createDb.replaceFirst("(?i)^CREATE DATABASE", "CREATE DATABASE IF NOT EXISTS"));
    List<String> tables = new ArrayList<>();
    for (Map<String, Object> r :
        Sql.rows(
            src,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?"
                + " AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            db)) {
      tables.add(Sql.text(r, "TABLE_NAME"));
    }
    for (String table : tables) {
      String qualified = Sql.ident(db) + "." + Sql.ident(table);
      String ddl =
          Sql.text(Sql.showRows(src, "SHOW CREATE TABLE " + qualified).get(0), "Create Table");
      // SHOW CREATE TABLE names the table alone; qualify it rather than switch the pooled
      // session's current database.
      String prefix = "CREATE TABLE " + Sql.ident(table);
      if (!ddl.startsWith(prefix)) {
        throw new IllegalStateException("unexpected SHOW CREATE TABLE output for " + qualified);
      }
      Sql.exec(dst, "CREATE TABLE " + qualified + ddl.substring(prefix.length()));
      copyRows(src, dst, db, table);
    }
  }

  private static void copyRows(Connection src, Connection dst, String db, String table)
      throws SQLException {
    List<String> columns = new ArrayList<>();
    for (Map<String, Object> r :
        Sql.rows(
            src,
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND"
                + " TABLE_NAME = ? AND EXTRA NOT LIKE '%GENERATED%' ORDER BY ORDINAL_POSITION",
            db,
            table)) {
      columns.add(Sql.text(r, "COLUMN_NAME"));
    }
    String list = columns.stream().map(Sql::ident).collect(Collectors.joining(", "));
    String qualified = Sql.ident(db) + "." + Sql.ident(table);
    String insert =
        "INSERT INTO "
            + qualified
            + " ("
            + list
            + ") VALUES ("
            + columns.stream().map(c -> "?").collect(Collectors.joining(", "))
            + ")";
    long copied = 0;
    try (Statement read = src.createStatement();
        PreparedStatement write = dst.prepareStatement(insert)) {
      read.setFetchSize(BATCH);
      try (ResultSet rs = read.executeQuery("SELECT " + list + " FROM " + qualified)) {
        int pending = 0;
        while (rs.next()) {
          for (int i = 1; i <= columns.size(); i++) {
            write.setObject(i, rs.getObject(i));
          }
          write.addBatch();
          if (++pending == BATCH) {
            write.executeBatch();
            pending = 0;
          }
          copied++;
        }
        if (pending > 0) {
          write.executeBatch();
        }
      }
    }
    log.info("snapshot: copied {} rows of {}", copied, qualified);
  }

  /**
   * The destination asks for the snapshot position in the source's domains. With gtid_strict_mode
   * its replica position must also name every domain of its own binary log at least as far as
   * logged, or MariaDB refuses it (error 1948).
   */
  private static void positionMariaDb(Connection dst, GtidPosition snapshot, boolean reset)
      throws SQLException {
    GtidPosition slavePos;
    if (reset) {
      Sql.exec(dst, "RESET MASTER");
      if (!snapshot.isEmpty()) {
        // As after restoring a backup: the destination's history is the source's up to the
        // snapshot, so its own next transactions continue each domain's sequence.
        Sql.exec(dst, "SET GLOBAL gtid_binlog_state = " + Sql.literal(dst, snapshot.toString()));
      }
      slavePos = snapshot;
    } else {
      GtidPosition logged = GtidPosition.parse(Sql.one(dst, "SELECT @@GLOBAL.gtid_binlog_pos"));
      GtidPosition current = GtidPosition.parse(Sql.one(dst, "SELECT @@GLOBAL.gtid_slave_pos"));
      slavePos = current.merge(logged).override(snapshot);
    }
    Sql.exec(dst, "SET GLOBAL gtid_slave_pos = " + Sql.literal(dst, slavePos.toString()));
  }

  /** Auto-positioning sends what gtid_executed lacks: mark the snapshot's transactions applied. */
  private static void positionMySql(Connection dst, Dialect dd, String snapshot, boolean reset)
      throws SQLException {
    if (reset) {
      Sql.exec(dst, dd.atLeast(8, 4, 0) ? "RESET BINARY LOGS AND GTIDS" : "RESET MASTER");
      if (!snapshot.isEmpty()) {
        Sql.exec(dst, "SET GLOBAL gtid_purged = " + Sql.literal(dst, snapshot));
      }
      return;
    }
    String executed = MySqlProvider.clean(Sql.one(dst, "SELECT @@GLOBAL.gtid_executed"));
    String missing =
        MySqlProvider.clean(Sql.one(dst, "SELECT GTID_SUBTRACT(?, ?)", snapshot, executed));
    if (!missing.isEmpty()) {
      Sql.exec(dst, "SET GLOBAL gtid_purged = " + Sql.literal(dst, "+" + missing));
    }
  }

  private interface SqlWork {
    void run() throws SQLException;
  }

  /** Runs {@code work} with this session's writes kept out of the binary log. */
  private static void withoutBinlog(Connection c, SqlWork work) throws SQLException {
    Sql.exec(c, "SET SESSION sql_log_bin = 0");
    try {
      work.run();
    } finally {
      Sql.exec(c, "SET SESSION sql_log_bin = 1");
    }
  }
}
