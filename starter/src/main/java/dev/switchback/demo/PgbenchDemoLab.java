package dev.switchback.demo;

import dev.switchback.activities.support.Connections;
import dev.switchback.demo.load.ClientRun;
import dev.switchback.demo.load.LoadGenerator;
import dev.switchback.demo.load.LoadProcess;
import dev.switchback.demo.load.PgbenchLoad;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.RouterSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * pgbench through the lab's two PgBouncers (6432, 6433) in front of the PostgreSQL pair (5433,
 * 5434): database {@value #DATABASE}, initialized by {@code pgbench -i} on the source, the same
 * schema without rows on the destination, role {@value #APP_ROLE} for pgbench, logical replication
 * as the migration instance, and the {@code pgbouncer} router over both PgBouncers.
 *
 * <p>pgbench's TPC-B-like transaction moves a random delta into one account, teller and branch and
 * logs it in pgbench_history, so on the side the application ends on every balance equals the sum
 * of its history's deltas, and the history holds one row per acknowledged transaction.
 */
final class PgbenchDemoLab implements RouterDemoLab {
  static final String DATABASE = "switchback_pgbench";
  static final String APP_ROLE = "pgbench_app";
  static final String FORWARD = "sb_pgbench_fwd";

  /** A pgbench table with a primary key, and its balance column. */
  private record Keyed(String table, String key, String balance) {}

  private static final List<Keyed> KEYED =
      List.of(
          new Keyed("pgbench_accounts", "aid", "abalance"),
          new Keyed("pgbench_branches", "bid", "bbalance"),
          new Keyed("pgbench_tellers", "tid", "tbalance"));
  private static final String HISTORY = "pgbench_history";

  private final PostgresDemoLab pg = new PostgresDemoLab(DATABASE, APP_ROLE, FORWARD);

  @Override
  public String engine() {
    return "postgres";
  }

  @Override
  public String router() {
    return RouterSpec.PGBOUNCER;
  }

  @Override
  public CutoverPlan prepare(Connections connections, DemoOptions options, PrintStream progress)
      throws Exception {
    progress.println("lab: database " + DATABASE + " on both sides, role " + APP_ROLE);
    pg.recreateDatabases(connections);
    // The application's own setup: pgbench -i on the source (scale 1: 100,000 accounts); on the
    // destination the same tables and keys without rows (drop, tables, primary keys), as a schema
    // dump restores them, for the initial copy.
    LoadProcess.run(initialize(Side.SOURCE, "dtgvp"), Duration.ofMinutes(2));
    LoadProcess.run(initialize(Side.DESTINATION, "dtp"), Duration.ofMinutes(2));
    for (Side side : Side.values()) {
      try (Connection c = pg.admin(side, DATABASE);
          Statement s = c.createStatement()) {
        s.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + APP_ROLE);
      }
    }
    progress.println("lab: pgbench -i on the source: 100,000 accounts, 10 tellers, 1 branch");
    new PgBouncerLabEntry(DATABASE).pointAt("127.0.0.1", 5433, DATABASE);
    progress.println(
        "lab: PgBouncer "
            + PgBouncerLabEntry.PORTS
            + " entry "
            + DATABASE
            + " points at the source 127.0.0.1:5433");
    CutoverPlan plan =
        PlanValidator.validate(
            pg.plan(
                "demo-pgbench",
                RouterSpec.pgbouncer(PgBouncerLabEntry.instances(), DATABASE, null, "30s"),
                RouterDemo.gates(),
                DemoLab.smokeTests("pgbench_accounts", "t", options.rollback()),
                null,
                options));
    pg.createForward(connections, plan, progress);
    return plan;
  }

  private List<String> initialize(Side side, String steps) {
    return List.of(
        "pgbench",
        "-i",
        "-q",
        "-I",
        steps,
        "-h",
        "127.0.0.1",
        "-p",
        side == Side.SOURCE ? "5433" : "5434",
        "-U",
        "postgres",
        DATABASE);
  }

  @Override
  public LoadGenerator load(DemoOptions options, Duration duration, Path workDir) {
    return new PgbenchLoad(
        PgBouncerLabEntry.PORTS.stream()
            .map(p -> new PgbenchLoad.Target(PgBouncerLabEntry.HOST, p))
            .toList(),
        DATABASE,
        APP_ROLE,
        options.writers(),
        options.ratePerSecond(),
        duration,
        workDir);
  }

  @Override
  public SideCheck compareSides() throws Exception {
    try (Connection src = pg.admin(Side.SOURCE, DATABASE);
        Connection dst = pg.admin(Side.DESTINATION, DATABASE)) {
      List<SideCheck.TableCheck> tables = new ArrayList<>();
      for (Keyed k : KEYED) {
        tables.add(compareByKey(src, dst, k.table(), k.key()));
      }
      Map<String, Long> s = multiset(src, HISTORY);
      Map<String, Long> d = multiset(dst, HISTORY);
      long missing = excess(s, d);
      long extra = excess(d, s);
      tables.add(
          new SideCheck.TableCheck(
              HISTORY,
              "multiset",
              size(s),
              size(d),
              missing == 0 && extra == 0,
              missing == 0 && extra == 0
                  ? "the same rows, as often"
                  : missing
                      + " row(s) of the source missing on the destination, "
                      + extra
                      + " row(s) there not on the source"));
      return SideCheck.of(SideCheck.IDENTICAL, tables);
    }
  }

  // Every row's text by its key on both sides: missing, extra and changed keys.
  private static SideCheck.TableCheck compareByKey(
      Connection src, Connection dst, String table, String key) throws SQLException {
    Map<Long, String> s = rowsByKey(src, table, key);
    Map<Long, String> d = rowsByKey(dst, table, key);
    long missing = s.keySet().stream().filter(k -> !d.containsKey(k)).count();
    long extra = d.keySet().stream().filter(k -> !s.containsKey(k)).count();
    List<Long> changed =
        s.entrySet().stream()
            .filter(e -> d.containsKey(e.getKey()) && !d.get(e.getKey()).equals(e.getValue()))
            .map(Map.Entry::getKey)
            .sorted()
            .toList();
    boolean same = missing == 0 && extra == 0 && changed.isEmpty();
    return new SideCheck.TableCheck(
        table,
        "primary key " + key,
        s.size(),
        d.size(),
        same,
        same
            ? "every row the same"
            : missing
                + " missing, "
                + extra
                + " extra, "
                + changed.size()
                + " changed"
                + (changed.isEmpty() ? "" : " (e.g. " + key + "=" + changed.get(0) + ")"));
  }

  private static Map<Long, String> rowsByKey(Connection c, String table, String key)
      throws SQLException {
    Map<Long, String> out = new HashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + key + ", t::text FROM " + table + " t")) {
      while (rs.next()) {
        out.put(rs.getLong(1), rs.getString(2));
      }
    }
    return out;
  }

  private static Map<String, Long> multiset(Connection c, String table) throws SQLException {
    Map<String, Long> out = new HashMap<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT t::text, count(*) FROM " + table + " t GROUP BY 1")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }

  /** Rows of {@code a} beyond what {@code b} holds of them (a multiset difference's size). */
  private static long excess(Map<String, Long> a, Map<String, Long> b) {
    return a.entrySet().stream()
        .mapToLong(e -> Math.max(0, e.getValue() - b.getOrDefault(e.getKey(), 0L)))
        .sum();
  }

  private static long size(Map<String, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public SideCheck destinationOnSource() throws Exception {
    try (Connection src = pg.admin(Side.SOURCE, DATABASE);
        Connection dst = pg.admin(Side.DESTINATION, DATABASE)) {
      Map<String, Long> s = multiset(src, HISTORY);
      Map<String, Long> d = multiset(dst, HISTORY);
      long missing = excess(d, s);
      return SideCheck.of(
          SideCheck.CONTAINED,
          List.of(
              new SideCheck.TableCheck(
                  HISTORY,
                  "multiset",
                  size(s),
                  size(d),
                  missing == 0,
                  missing == 0
                      ? "every transaction the destination committed is on the source"
                      : missing
                          + " transaction(s) the destination committed are not on the"
                          + " source")));
    }
  }

  @Override
  public List<Invariant> invariants(Side side, ClientRun run) throws Exception {
    List<Invariant> out = new ArrayList<>();
    try (Connection c = pg.admin(side, DATABASE);
        Statement s = c.createStatement()) {
      for (Keyed k : KEYED) {
        long off;
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM "
                    + k.table()
                    + " x LEFT JOIN (SELECT "
                    + k.key()
                    + ", sum(delta) AS total FROM pgbench_history GROUP BY "
                    + k.key()
                    + ") h USING ("
                    + k.key()
                    + ") WHERE x."
                    + k.balance()
                    + " <> coalesce(h.total, 0)")) {
          rs.next();
          off = rs.getLong(1);
        }
        out.add(
            new Invariant(
                "each " + k.balance() + " of " + k.table() + " is the sum of its history's deltas",
                side,
                off == 0,
                off == 0 ? "all match" : off + " row(s) do not"));
      }
      long history;
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pgbench_history")) {
        rs.next();
        history = rs.getLong(1);
      }
      out.add(
          new Invariant(
              "pgbench_history holds one row per transaction pgbench acknowledged",
              side,
              history == run.transactions(),
              history + " row(s), " + run.transactions() + " transaction(s) acknowledged"));
    }
    return out;
  }
}
