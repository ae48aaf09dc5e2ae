package dev.switchback.demo;

import dev.switchback.activities.mysql.GtidPosition;
import dev.switchback.activities.support.Connections;
import dev.switchback.demo.load.ClientRun;
import dev.switchback.demo.load.LoadGenerator;
import dev.switchback.demo.load.LoadProcess;
import dev.switchback.demo.load.SysbenchLoad;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * sysbench through the lab's HAProxy (frontend {@code mariadb} on 3390, backend servers {@code src}
 * 3307 and {@code dst} 3308) in front of the MariaDB pair: database {@value #DATABASE} prepared by
 * {@code sysbench oltp_write_only prepare} on the source, copied by the forward instance's
 * snapshot, user {@value #APP_USER} with data privileges only (so the read_only fence stops it),
 * GTID replication as the migration instance, and the {@code haproxy} router.
 *
 * <p>The sides are compared with {@code CHECKSUM TABLE} on each: it reads both servers and writes
 * nothing. pt-table-checksum would write its checksums into the source's binary log for the
 * replicas to recompute, which here are the demo's own instances: the forward one carries only the
 * demo database, the reverse one after the switch runs the other way, and the old source is fenced,
 * so its checksums would not travel where it expects them.
 */
final class SysbenchDemoLab implements RouterDemoLab {
  static final String DATABASE = "switchback_sysbench";
  static final String APP_USER = "sb_sysbench_app";
  static final int TABLES = 4;
  static final int TABLE_SIZE = 10_000;
  private static final int PROXY_PORT = 3390;

  private final MariaDbDemoLab maria =
      new MariaDbDemoLab(
          DATABASE, APP_USER, "sb_sysbench_migrator", "sb_sysbench_fwd", "sb_sysbench_rev");
  private final Path script;

  /**
   * @param repository where deploy/lab/sysbench holds the demo's sysbench script
   */
  SysbenchDemoLab(Path repository) {
    this.script = repository.resolve("deploy/lab/sysbench/oltp_write_only_reconnecting.lua");
  }

  @Override
  public String engine() {
    return "mariadb";
  }

  @Override
  public String router() {
    return RouterSpec.HAPROXY;
  }

  @Override
  public CutoverPlan prepare(Connections connections, DemoOptions options, PrintStream progress)
      throws Exception {
    progress.println("lab: database " + DATABASE + " on both servers, user " + APP_USER);
    maria.recreateDatabases(connections);
    // The application's own setup, on the source as root: its tables, secondary index and rows.
    LoadProcess.run(
        List.of(
            "sysbench",
            "oltp_write_only",
            "--mysql-host=127.0.0.1",
            "--mysql-port=3307",
            "--mysql-user=root",
            "--mysql-db=" + DATABASE,
            "--tables=" + TABLES,
            "--table-size=" + TABLE_SIZE,
            "prepare"),
        Duration.ofMinutes(2));
    progress.println(
        "lab: sysbench oltp_write_only prepare on the source: "
            + TABLES
            + " tables of "
            + TABLE_SIZE
            + " rows");
    CutoverPlan plan =
        PlanValidator.validate(
            maria.plan(
                "demo-sysbench",
                RouterSpec.haproxy(
                    List.of(new RouterInstance("tcp://127.0.0.1:9999", null)),
                    "mariadb",
                    "src",
                    "dst",
                    "30s"),
                RouterDemo.gates(),
                DemoLab.smokeTests("sbtest1", "1", options.rollback()),
                null,
                options));
    maria.createForward(connections, plan, progress);
    return plan;
  }

  @Override
  public LoadGenerator load(DemoOptions options, Duration duration, Path workDir) {
    return new SysbenchLoad(
        script,
        "127.0.0.1",
        PROXY_PORT,
        APP_USER,
        maria.appPassword(),
        DATABASE,
        TABLES,
        TABLE_SIZE,
        options.writers(),
        (int) Math.round(options.ratePerSecond()),
        duration,
        workDir);
  }

  @Override
  public SideCheck compareSides() throws Exception {
    try (Connection src = maria.admin(Side.SOURCE, DATABASE);
        Connection dst = maria.admin(Side.DESTINATION, DATABASE)) {
      List<SideCheck.TableCheck> tables = new ArrayList<>();
      for (int i = 1; i <= TABLES; i++) {
        String table = "sbtest" + i;
        long[] s = checksum(src, table);
        long[] d = checksum(dst, table);
        boolean same = s[0] == d[0] && s[1] == d[1];
        tables.add(
            new SideCheck.TableCheck(
                table,
                "CHECKSUM TABLE",
                s[0],
                d[0],
                same,
                same
                    ? "checksum " + Long.toUnsignedString(s[1]) + " on both"
                    : "checksum "
                        + Long.toUnsignedString(s[1])
                        + " on the source, "
                        + Long.toUnsignedString(d[1])
                        + " on the destination"));
      }
      return SideCheck.of(SideCheck.IDENTICAL, tables);
    }
  }

  // Rows and CHECKSUM TABLE (an unsigned 32-bit value, or a sum of them for InnoDB).
  private static long[] checksum(Connection c, String table) throws SQLException {
    try (Statement s = c.createStatement()) {
      long rows;
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
        rs.next();
        rows = rs.getLong(1);
      }
      try (ResultSet rs = s.executeQuery("CHECKSUM TABLE " + table)) {
        rs.next();
        return new long[] {rows, rs.getLong("Checksum")};
      }
    }
  }

  @Override
  public SideCheck destinationOnSource() throws Exception {
    try (Connection src = maria.admin(Side.SOURCE, DATABASE);
        Connection dst = maria.admin(Side.DESTINATION, DATABASE)) {
      GtidPosition committed = GtidPosition.parse(one(dst, "SELECT @@GLOBAL.gtid_binlog_pos"));
      // What the source applied through the reverse instance, logged or not.
      GtidPosition onSource =
          GtidPosition.parse(one(src, "SELECT @@GLOBAL.gtid_binlog_pos"))
              .merge(GtidPosition.parse(one(src, "SELECT @@GLOBAL.gtid_slave_pos")));
      long domain = Long.parseLong(one(dst, "SELECT @@GLOBAL.gtid_domain_id"));
      GtidPosition.Gtid own = committed.domains().get(domain);
      GtidPosition.Gtid there = onSource.domains().get(domain);
      GtidPosition missing = onSource.missing(committed);
      return SideCheck.of(
          SideCheck.CONTAINED,
          List.of(
              new SideCheck.TableCheck(
                  "GTID domain " + domain + " (the destination's own transactions)",
                  "GTID",
                  there == null ? 0 : there.seq(),
                  own == null ? 0 : own.seq(),
                  missing.isEmpty(),
                  missing.isEmpty()
                      ? "the destination committed up to "
                          + committed
                          + ", all of it on the source ("
                          + onSource
                          + ")"
                      : "the source lacks " + missing + " of the destination's " + committed)));
    }
  }

  private static String one(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Override
  public List<Invariant> invariants(Side side, ClientRun run) throws Exception {
    // Each oltp_write_only transaction deletes a row and inserts it back with the same id: a
    // transaction lost or committed in part shows as a table with a row too few.
    List<Invariant> out = new ArrayList<>();
    try (Connection c = maria.admin(side, DATABASE)) {
      for (int i = 1; i <= TABLES; i++) {
        long rows = Long.parseLong(one(c, "SELECT count(*) FROM sbtest" + i));
        out.add(
            new Invariant(
                "sbtest" + i + " still holds its " + TABLE_SIZE + " rows",
                side,
                rows == TABLE_SIZE,
                rows + " row(s)"));
      }
    }
    return out;
  }
}
