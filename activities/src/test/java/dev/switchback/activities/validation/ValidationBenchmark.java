package dev.switchback.activities.validation;

import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.postgresql.PGConnection;

/**
 * Validation speed next to its bound: the time the two databases take, side by side, to read and
 * print every row once (PostgreSQL: {@code COPY (SELECT * FROM t) TO STDOUT} into a null sink;
 * MySQL/MariaDB: a streamed {@code SELECT *} reading every column as text), both sides at once.
 * Prints rows per second and the ratio of validation time to the bound. Not a test: numbers come
 * from running it, on the servers of this machine.
 *
 * <pre>
 * mvn -B -q -pl activities -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp activities/target/test-classes:activities/target/classes:workflows/target/classes:$(cat /tmp/cp.txt) \
 *     dev.switchback.activities.validation.ValidationBenchmark [postgres|mariadb|all] [rows] [parallelism] [rounds] [--keep]
 * </pre>
 *
 * Scratch databases {@code sbval_bench_src} and {@code sbval_bench_dst} on 127.0.0.1:5432
 * (postgres, trust) and 127.0.0.1:3306 (root) are created, reused when they already hold the rows,
 * and dropped at the end unless {@code --keep}.
 */
public final class ValidationBenchmark {
  static final String PG = "jdbc:postgresql://127.0.0.1:5432/";
  static final String MY = "jdbc:mariadb://127.0.0.1:3306/";
  static final String SOURCE = "sbval_bench_src";
  static final String DESTINATION = "sbval_bench_dst";

  private ValidationBenchmark() {}

  public static void main(String[] args) throws Exception {
    ((ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    List<String> positional = new ArrayList<>();
    boolean keep = false;
    for (String a : args) {
      if (a.equals("--keep")) {
        keep = true;
      } else {
        positional.add(a);
      }
    }
    String engine = positional.size() > 0 ? positional.get(0) : "all";
    long rows = positional.size() > 1 ? Long.parseLong(positional.get(1)) : 5_000_000;
    int parallelism = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 4;
    int rounds = positional.size() > 3 ? Integer.parseInt(positional.get(3)) : 2;
    System.out.printf(
        "machine: %d cores; rows %,d; parallelism %d per side; %d rounds%n",
        Runtime.getRuntime().availableProcessors(), rows, parallelism, rounds);
    if (engine.equals("postgres") || engine.equals("all")) {
      postgres(rows, parallelism, rounds, keep);
    }
    if (engine.equals("mariadb") || engine.equals("all")) {
      mariadb(rows, parallelism, rounds, keep);
    }
  }

  // ---------------------------------------------------------------- PostgreSQL

  static void postgres(long rows, int parallelism, int rounds, boolean keep) throws Exception {
    if (count(PG, SOURCE, "postgres", "t") != rows
        || count(PG, DESTINATION, "postgres", "t") != rows) {
      long start = System.nanoTime();
      exec(
          PG,
          "postgres",
          "postgres",
          "DROP DATABASE IF EXISTS " + DESTINATION + " WITH (FORCE)",
          "DROP DATABASE IF EXISTS " + SOURCE + " WITH (FORCE)",
          "CREATE DATABASE " + SOURCE);
      exec(
          PG,
          SOURCE,
          "postgres",
          "CREATE TABLE t (id bigint PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2),"
              + " price float8, ratio float4, note text, created_at timestamptz, flag boolean)",
          "INSERT INTO t SELECT g, g % 100000, (g % 100000) / 100.0, g * 1.1, (g % 1000) / 7.0,"
              + " 'order note ' || g || ' for customer ' || (g % 100000),"
              + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 seconds', g % 2 = 0"
              + " FROM generate_series(1, "
              + rows
              + ") g",
          "VACUUM ANALYZE t");
      // A file-level copy: the destination holds the same rows.
      exec(PG, "postgres", "postgres", "CREATE DATABASE " + DESTINATION + " TEMPLATE " + SOURCE);
      exec(PG, DESTINATION, "postgres", "VACUUM ANALYZE t");
      System.out.printf("postgres: generated %,d rows in %.1f s%n", rows, seconds(start));
    }
    String version = first(PG, SOURCE, "postgres", "SHOW server_version");
    String size = first(PG, SOURCE, "postgres", "SELECT pg_size_pretty(pg_table_size('t'))");
    System.out.printf("PostgreSQL %s, table t: %,d rows, %s per side%n", version, rows, size);
    CutoverPlan plan = plan("postgres", PG, "postgres");
    measure(
        "postgres",
        rows,
        parallelism,
        rounds,
        plan,
        () -> bothSides(ValidationBenchmark::copyOut),
        new PostgresCpu());
    if (!keep) {
      exec(
          PG,
          "postgres",
          "postgres",
          "DROP DATABASE IF EXISTS " + DESTINATION + " WITH (FORCE)",
          "DROP DATABASE IF EXISTS " + SOURCE + " WITH (FORCE)");
    }
  }

  /** COPY (SELECT * FROM t) TO STDOUT into a sink that drops the bytes. */
  static double[] copyOut(String db) throws Exception {
    try (Connection c = DriverManager.getConnection(PG + db, "postgres", null)) {
      int pid = Integer.parseInt(firstOn(c, "SELECT pg_backend_pid()"));
      double cpu = cpuSeconds(pid);
      OutputStream sink = OutputStream.nullOutputStream();
      long rows = ((PGConnection) c).getCopyAPI().copyOut("COPY (SELECT * FROM t) TO STDOUT", sink);
      return new double[] {rows, cpuSeconds(pid) - cpu};
    }
  }

  // ---------------------------------------------------------------- MariaDB

  static void mariadb(long rows, int parallelism, int rounds, boolean keep) throws Exception {
    if (count(MY, SOURCE, "root", "t") != rows || count(MY, DESTINATION, "root", "t") != rows) {
      long start = System.nanoTime();
      exec(
          MY,
          "",
          "root",
          "DROP DATABASE IF EXISTS " + SOURCE,
          "DROP DATABASE IF EXISTS " + DESTINATION,
          "CREATE DATABASE " + SOURCE,
          "CREATE DATABASE " + DESTINATION);
      String table =
          "CREATE TABLE t (id BIGINT PRIMARY KEY, customer_id INT NOT NULL,"
              + " amount DECIMAL(12,2), price DOUBLE, ratio FLOAT, note VARCHAR(100),"
              + " created_at DATETIME(6), flag BOOLEAN) ENGINE=InnoDB";
      exec(
          MY,
          SOURCE,
          "root",
          table,
          "INSERT INTO t SELECT seq, seq % 100000, (seq % 100000) / 100, seq * 1.1e0,"
              + " (seq % 1000) / 7, CONCAT('order note ', seq, ' for customer ', seq % 100000),"
              + " TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1500000 MICROSECOND,"
              + " seq % 2 = 0 FROM seq_1_to_"
              + rows);
      exec(MY, DESTINATION, "root", table, "INSERT INTO t SELECT * FROM " + SOURCE + ".t");
      exec(MY, SOURCE, "root", "ANALYZE TABLE t");
      exec(MY, DESTINATION, "root", "ANALYZE TABLE t");
      System.out.printf("mariadb: generated %,d rows in %.1f s%n", rows, seconds(start));
    }
    String version = first(MY, SOURCE, "root", "SELECT VERSION()");
    String size =
        first(
            MY,
            SOURCE,
            "root",
            "SELECT CONCAT(ROUND(DATA_LENGTH / 1048576), ' MB') FROM information_schema.TABLES"
                + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'");
    System.out.printf("MariaDB %s, table t: %,d rows, %s per side%n", version, rows, size);
    measure(
        "mariadb",
        rows,
        parallelism,
        rounds,
        plan("mariadb", MY, "root"),
        () -> bothSides(ValidationBenchmark::selectAll),
        new MariaDbCpu());
    // The same read through the C client, which spends less than a JVM on each row: a stricter
    // bound, printed for comparison.
    MariaDbCpu cpu = new MariaDbCpu();
    cpu.begin();
    double[] c = bothSides(ValidationBenchmark::mysqlClient);
    System.out.printf(
        "mariadb bound with the mysql C client (--quick, to a null sink, both sides at once):"
            + " %.2f s (%,.0f rows/s, database CPU %.1f s)%n",
        c[0], rows / c[0], cpu.end(Double.NaN));
    if (!keep) {
      exec(
          MY,
          "",
          "root",
          "DROP DATABASE IF EXISTS " + SOURCE,
          "DROP DATABASE IF EXISTS " + DESTINATION);
    }
  }

  /** A streamed SELECT * reading every column as text: MySQL's nearest COPY ... TO. */
  static double[] selectAll(String db) throws Exception {
    try (Connection c = DriverManager.getConnection(MY + db, "root", null);
        Statement st = c.createStatement()) {
      st.setFetchSize(10_000);
      long n = 0;
      try (ResultSet rs = st.executeQuery("SELECT * FROM t")) {
        int columns = rs.getMetaData().getColumnCount();
        long chars = 0;
        while (rs.next()) {
          for (int i = 1; i <= columns; i++) {
            String v = rs.getString(i);
            chars += v == null ? 0 : v.length();
          }
          n++;
        }
        if (chars == 0) {
          throw new IllegalStateException("read nothing");
        }
      }
      return new double[] {n, Double.NaN};
    }
  }

  /** {@code mysql --quick -e 'SELECT * FROM t' > /dev/null}; returns the rows it printed. */
  static double[] mysqlClient(String db) throws Exception {
    Process p =
        new ProcessBuilder(
                "mysql",
                "-h127.0.0.1",
                "-uroot",
                "--quick",
                "--batch",
                "--skip-column-names",
                db,
                "-e",
                "SELECT * FROM t")
            .redirectErrorStream(true)
            .start();
    long lines = 0;
    byte[] buffer = new byte[1 << 16];
    try (var in = p.getInputStream()) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            lines++;
          }
        }
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("mysql exited with " + p.exitValue());
    }
    return new double[] {lines, Double.NaN};
  }

  // ---------------------------------------------------------------- measuring

  @FunctionalInterface
  interface Side {
    /** Reads every row of {@code db}: {rows, CPU seconds its server session spent or NaN}. */
    double[] read(String db) throws Exception;
  }

  @FunctionalInterface
  interface Bound {
    double[] run() throws Exception;
  }

  /** Both sides at once; returns {wall, source, destination} seconds. */
  static double[] bothSides(Side side) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      long start = System.nanoTime();
      List<Future<double[]>> f = new ArrayList<>();
      for (String db : List.of(SOURCE, DESTINATION)) {
        Callable<double[]> c =
            () -> {
              long s = System.nanoTime();
              double[] n = side.read(db);
              return new double[] {seconds(s), n[0], n[1]};
            };
        f.add(pool.submit(c));
      }
      double[] s = f.get(0).get();
      double[] d = f.get(1).get();
      return new double[] {seconds(start), s[0], d[0], s[1], d[1], s[2] + d[2]};
    } finally {
      pool.shutdown();
    }
  }

  /**
   * CPU seconds the database servers spend on a step: wall-clock time on a shared machine says as
   * much about the neighbours as about the work.
   */
  interface CpuProbe {
    /** Called before each step. */
    void begin() throws Exception;

    /** CPU seconds since {@link #begin}; {@code reported} is what the step measured itself. */
    double end(double reported) throws Exception;

    /** Watches the validation's own sessions while they are open. */
    ProgressListener listener();
  }

  /** PostgreSQL: per backend, the COPY sessions' and the validation sessions' own CPU. */
  static final class PostgresCpu implements CpuProbe {
    private volatile double validation = Double.NaN;

    @Override
    public void begin() {
      validation = Double.NaN;
    }

    @Override
    public double end(double reported) {
      return Double.isNaN(reported) ? validation : reported;
    }

    @Override
    public ProgressListener listener() {
      return p -> {
        try (Connection c = DriverManager.getConnection(PG + "postgres", "postgres", null);
            Statement st = c.createStatement();
            ResultSet rs =
                st.executeQuery(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'switchback'"
                        + " AND datname IN ('"
                        + SOURCE
                        + "', '"
                        + DESTINATION
                        + "')")) {
          double sum = 0;
          while (rs.next()) {
            sum += cpuSeconds(rs.getInt(1));
          }
          validation = sum;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
    }
  }

  /**
   * MariaDB: the whole server's CPU (its connection threads cannot be told apart without
   * performance_schema), so other clients of the server count too.
   */
  static final class MariaDbCpu implements CpuProbe {
    private final int pid;
    private double start;

    MariaDbCpu() throws Exception {
      String file = first(MY, "", "root", "SELECT @@pid_file");
      pid = Integer.parseInt(java.nio.file.Files.readString(java.nio.file.Path.of(file)).strip());
    }

    @Override
    public void begin() throws Exception {
      start = cpuSeconds(pid);
    }

    @Override
    public double end(double reported) throws Exception {
      return cpuSeconds(pid) - start;
    }

    @Override
    public ProgressListener listener() {
      return ProgressListener.NONE;
    }
  }

  /** utime + stime of a process, from /proc. */
  static double cpuSeconds(int pid) throws Exception {
    String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // Fields 14 and 15 of stat, counted after the command name; clock ticks of 1/100 s.
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  static void measure(
      String engine,
      long rows,
      int parallelism,
      int rounds,
      CutoverPlan plan,
      Bound bound,
      CpuProbe cpu)
      throws Exception {
    DataValidator validator =
        new DataValidator(DataValidator.Options.defaults().withParallelism(parallelism));
    double bestBound = Double.MAX_VALUE;
    double bestValidation = Double.MAX_VALUE;
    List<Double> ratios = new ArrayList<>();
    List<Double> cpuRatios = new ArrayList<>();
    try (Connections connections = new Connections(new Secrets(Map.of()))) {
      for (int r = 1; r <= rounds; r++) {
        cpu.begin();
        double[] b = bound.run();
        double boundCpu = cpu.end(b[5]);
        if ((long) b[3] != rows || (long) b[4] != rows) {
          throw new IllegalStateException("the bound read " + b[3] + " and " + b[4] + " rows");
        }
        cpu.begin();
        long start = System.nanoTime();
        ValidationRun run = validator.run(connections, plan, null, cpu.listener());
        double v = seconds(start);
        double validationCpu = cpu.end(Double.NaN);
        TableRun t = run.tables().get(0);
        if (!run.passed() || t.comparison().sourceRows() != rows) {
          throw new IllegalStateException("validation did not compare every row: " + run.report());
        }
        ratios.add(v / b[0]);
        cpuRatios.add(validationCpu / boundCpu);
        System.out.printf(
            "%s round %d: bound %.2f s (source %.2f s, destination %.2f s, %,.0f rows/s, database"
                + " CPU %.1f s); validation %.2f s (%,.0f rows/s, %d ranges, database CPU %.1f s);"
                + " ratio %.2f, CPU ratio %.2f%n",
            engine,
            r,
            b[0],
            b[1],
            b[2],
            rows / b[0],
            boundCpu,
            v,
            rows / v,
            t.ranges(),
            validationCpu,
            v / b[0],
            validationCpu / boundCpu);
        bestBound = Math.min(bestBound, b[0]);
        bestValidation = Math.min(bestValidation, v);
      }
    }
    System.out.printf(
        "%s result: bound %.2f s (%,.0f rows/s), validation %.2f s (%,.0f rows/s),"
            + " ratio %.2f (best of %d each; per round %s; database CPU ratio per round %s)%n",
        engine,
        bestBound,
        rows / bestBound,
        bestValidation,
        rows / bestValidation,
        bestValidation / bestBound,
        rounds,
        ratios.stream().map(x -> String.format("%.2f", x)).toList(),
        cpuRatios.stream().map(x -> String.format("%.2f", x)).toList());
  }

  static CutoverPlan plan(String engine, String server, String user) {
    return new CutoverPlan(
        "benchmark",
        null,
        new EndpointSpec(engine, server + SOURCE, user, null, List.of(), Map.of()),
        new EndpointSpec(engine, server + DESTINATION, user, null, List.of(), Map.of()),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        new ValidationSpec(List.of("t"), "full", true),
        null);
  }

  static long count(String server, String db, String user, String table) {
    try {
      return Long.parseLong(first(server, db, user, "SELECT count(*) FROM " + table));
    } catch (SQLException e) {
      return -1;
    }
  }

  static String firstOn(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static String first(String server, String db, String user, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(server + db, user, null);
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  static void exec(String server, String db, String user, String... sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(server + db, user, null);
        Statement st = c.createStatement()) {
      for (String s : sql) {
        st.execute(s);
      }
    }
  }

  static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
