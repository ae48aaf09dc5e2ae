package dev.switchback.activities.validation;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.ValidationProgress.TableProgress;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One validation of two SQL databases: tables split into key ranges, each range hashed inside both
 * databases at once, equal ranges done with, differing ones split and hashed again until they are
 * small enough to compare row hashes. Ranges run in parallel over a fixed number of sessions per
 * side, all reading one snapshot per side.
 */
final class SqlValidation implements AutoCloseable {
  /** Ranges per table at most, so heartbeat details stay small. */
  static final int MAX_RANGES = 4096;

  /** A differing range is cut into this many pieces. */
  static final int SPLIT = 16;

  private static final int MAX_DEPTH = 12;
  private static final long UNKNOWN_ROW_BYTES = 200;

  private final ValidationDialect dialect;
  private final DataValidator.Options options;
  private final ProgressListener listener;
  private final boolean sample;
  private SideConnections source;
  private SideConnections destination;
  private ExecutorService tasks;
  private ExecutorService destinationQueries;
  private ScheduledExecutorService ticker;
  private final BlockingQueue<Lane> lanes = new ArrayBlockingQueue<>(256);
  private final Object lock = new Object();
  private int pending;
  private Throwable failure;
  private final Object reportLock = new Object();
  private volatile long lastReportNanos = System.nanoTime();
  private volatile List<TableJob> jobs;
  private final ValidationProgress resume;
  private final List<String> notes = new ArrayList<>();

  private record Lane(Connection source, Connection destination) {}

  private record Pair<T>(T source, T destination) {}

  private record TableRef(
      String display, String sourceSchema, String sourceName, String destSchema, String destName) {}

  @FunctionalInterface
  private interface SqlCall<T> {
    T call(Connection c) throws Exception;
  }

  @FunctionalInterface
  private interface LaneTask {
    void run(Lane lane) throws Exception;
  }

  /**
   * @param resume the progress of an earlier attempt, or null
   */
  SqlValidation(
      ValidationDialect dialect,
      DataValidator.Options options,
      ProgressListener listener,
      boolean sample,
      ValidationProgress resume) {
    this.resume = resume;
    this.dialect = dialect;
    this.options = options;
    this.listener = listener;
    this.sample = sample;
  }

  void open(EndpointSpec sourceEndpoint, EndpointSpec destinationEndpoint, Secrets secrets) {
    // Reports start at once: opening sessions and reading many tables' catalogs can outlast an
    // activity's heartbeat timeout.
    long interval = Math.max(50, options.progressInterval().toMillis());
    ticker = Executors.newSingleThreadScheduledExecutor(threads("switchback-validation-progress"));
    ticker.scheduleAtFixedRate(this::tick, interval, interval, TimeUnit.MILLISECONDS);
    int n = options.parallelism();
    source = connect("source", sourceEndpoint, secrets, n);
    destination = connect("destination", destinationEndpoint, secrets, n);
    for (int i = 0; i < n; i++) {
      lanes.add(new Lane(source.workers.get(i), destination.workers.get(i)));
    }
    for (SideConnections side : List.of(source, destination)) {
      if (side.snapshotNote != null) {
        notes.add(side.field + ": " + side.snapshotNote);
      }
    }
    tasks = Executors.newFixedThreadPool(n, threads("switchback-validation"));
    destinationQueries = Executors.newFixedThreadPool(n, threads("switchback-validation-dst"));
  }

  private SideConnections connect(String field, EndpointSpec endpoint, Secrets secrets, int n) {
    try {
      return SideConnections.open(dialect, field, endpoint, secrets, n);
    } catch (SQLException e) {
      throw new ValidationException(
          "cannot open validation sessions on the "
              + field
              + " ("
              + endpoint.url()
              + "): "
              + e.getMessage(),
          e);
    }
  }

  List<String> notes() {
    return List.copyOf(notes);
  }

  // ---------------------------------------------------------------- planning

  /** The tables to compare, described on both sides, with the progress of an earlier attempt. */
  List<TableJob> plan(List<String> requested) {
    try {
      List<TableRef> refs = requested.isEmpty() ? allTables() : requested(requested);
      List<TableJob> out = new ArrayList<>();
      for (TableRef ref : refs) {
        TableShape s =
            ref.sourceName() == null
                ? null
                : dialect.describe(source.control, ref.sourceSchema(), ref.sourceName());
        TableShape d =
            ref.destName() == null
                ? null
                : dialect.describe(destination.control, ref.destSchema(), ref.destName());
        TableJob job = job(ref.display(), s, d);
        TableProgress earlier = resume == null ? null : resume.table(ref.display());
        if (earlier != null) {
          job.restore(earlier);
        }
        out.add(job);
      }
      jobs = List.copyOf(out);
      return jobs;
    } catch (SQLException e) {
      throw new ValidationException("cannot read the catalogs: " + e.getMessage(), e);
    }
  }

  private String toDestinationSchema(String sourceSchema) {
    return sourceSchema.equals(source.defaultSchema) ? destination.defaultSchema : sourceSchema;
  }

  private String toSourceSchema(String destinationSchema) {
    return destinationSchema.equals(destination.defaultSchema)
        ? source.defaultSchema
        : destinationSchema;
  }

  private List<TableRef> allTables() throws SQLException {
    Map<String, TableRef> refs = new LinkedHashMap<>();
    for (String[] t : dialect.listTables(source.control)) {
      String display = t[0] + "." + t[1];
      refs.put(display, new TableRef(display, t[0], t[1], toDestinationSchema(t[0]), null));
    }
    for (String[] t : dialect.listTables(destination.control)) {
      String display = toSourceSchema(t[0]) + "." + t[1];
      TableRef known = refs.get(display);
      refs.put(
          display,
          known == null
              ? new TableRef(display, toSourceSchema(t[0]), null, t[0], t[1])
              : new TableRef(display, known.sourceSchema(), known.sourceName(), t[0], t[1]));
    }
    return new ArrayList<>(refs.values());
  }

  private List<TableRef> requested(List<String> names) throws SQLException {
    Map<String, TableRef> refs = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      String given = names.get(i) == null ? "" : names.get(i).strip();
      int dot = given.indexOf('.');
      String schema = dot < 0 ? source.defaultSchema : given.substring(0, dot);
      String table = dot < 0 ? given : given.substring(dot + 1);
      TableRef found = null;
      for (String[] candidate :
          List.of(
              new String[] {schema, table},
              new String[] {schema.toLowerCase(Locale.ROOT), table.toLowerCase(Locale.ROOT)})) {
        String s = candidate[0];
        String t = candidate[1];
        boolean onSource = dialect.describe(source.control, s, t) != null;
        boolean onDestination =
            dialect.describe(destination.control, toDestinationSchema(s), t) != null;
        if (onSource || onDestination) {
          found =
              new TableRef(
                  s + "." + t,
                  s,
                  onSource ? t : null,
                  toDestinationSchema(s),
                  onDestination ? t : null);
          break;
        }
      }
      if (found == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            "validation.tables["
                + i
                + "]: table '"
                + given
                + "' exists on neither the source ("
                + schema
                + ") nor the destination; write schema.table as the catalog spells it",
            FailureTypes.INVALID_PLAN);
      }
      refs.putIfAbsent(found.display(), found);
    }
    return new ArrayList<>(refs.values());
  }

  private TableJob job(String display, TableShape s, TableShape d) {
    List<String> problems = new ArrayList<>();
    List<String> tableNotes = new ArrayList<>();
    if (s == null || d == null) {
      TableShape present = s == null ? d : s;
      TableSide side =
          new TableSide(
              s == null ? "destination" : "source",
              present,
              dialect.quoteTable(present),
              present.columns(),
              List.of(),
              "",
              false,
              false);
      if (d == null) {
        problems.add("table does not exist on the destination");
        return new TableJob(display, side, null, problems, tableNotes);
      }
      tableNotes.add("table exists only on the destination; its rows count as extra");
      return new TableJob(display, null, side, problems, tableNotes);
    }
    List<Column> common = new ArrayList<>();
    for (Column c : s.columns()) {
      Column other = d.column(c.name());
      if (other == null) {
        problems.add("column " + c.name() + " is missing on the destination");
        continue;
      }
      common.add(c);
      if (!c.type().equals(other.type())) {
        tableNotes.add(
            "column "
                + c.name()
                + " is "
                + c.type()
                + " on the source and "
                + other.type()
                + " on the destination; compared by value");
      }
    }
    for (Column c : d.columns()) {
      if (s.column(c.name()) == null) {
        tableNotes.add("column " + c.name() + " exists only on the destination; not compared");
      }
    }
    List<String> key = chooseKey(s, d, common, tableNotes);
    boolean utf8 = !Objects.equals(s.encoding(), d.encoding());
    List<String> sExprs = new ArrayList<>();
    List<String> dExprs = new ArrayList<>();
    for (Column c : common) {
      Column other = d.column(c.name());
      sExprs.add(dialect.columnExpression(c, s, other, d));
      dExprs.add(dialect.columnExpression(other, d, c, s));
    }
    TableSide src =
        new TableSide(
            "source",
            s,
            dialect.quoteTable(s),
            common,
            key.stream().map(s::column).toList(),
            dialect.rowExpression(sExprs),
            key.equals(s.primaryKey()) && s.clusteredOnPrimaryKey(),
            utf8);
    TableSide dst =
        new TableSide(
            "destination",
            d,
            dialect.quoteTable(d),
            common.stream().map(c -> d.column(c.name())).toList(),
            key.stream().map(d::column).toList(),
            dialect.rowExpression(dExprs),
            key.equals(d.primaryKey()) && d.clusteredOnPrimaryKey(),
            utf8);
    return new TableJob(display, src, dst, problems, tableNotes);
  }

  /**
   * The source's primary key, else a unique key of NOT NULL columns; usable only when both sides
   * hold its columns and index them, else the table is compared as a multiset of rows.
   */
  private static List<String> chooseKey(
      TableShape s, TableShape d, List<Column> common, List<String> tableNotes) {
    List<List<String>> candidates = new ArrayList<>();
    if (!s.primaryKey().isEmpty()) {
      candidates.add(s.primaryKey());
    }
    candidates.addAll(s.uniqueKeys());
    if (!d.primaryKey().isEmpty()) {
      candidates.add(d.primaryKey());
    }
    candidates.addAll(d.uniqueKeys());
    List<String> names = common.stream().map(Column::name).toList();
    for (List<String> key : candidates) {
      boolean usable =
          names.containsAll(key)
              && s.indexed(key)
              && d.indexed(key)
              && key.stream().noneMatch(k -> s.column(k).nullable() || d.column(k).nullable());
      if (usable) {
        if (!key.equals(s.primaryKey())) {
          tableNotes.add(
              "the source has no primary key; rows are matched by the unique key ("
                  + String.join(", ", key)
                  + ")");
        }
        return key;
      }
    }
    if (candidates.isEmpty()) {
      tableNotes.add(
          "no primary key or unique NOT NULL key: compared as a multiset of rows in one pass;"
              + " a changed row shows as one missing and one extra; add a primary key for exact"
              + " row differences and parallel ranges");
    } else {
      tableNotes.add(
          "the key ("
              + String.join(", ", candidates.get(0))
              + ") is not indexed on both sides: compared as a multiset of rows in one pass");
    }
    return List.of();
  }

  // ---------------------------------------------------------------- running

  void run() {
    for (TableJob job : jobs) {
      if (job.finished()) {
        if (job.split()) {
          job.select(sample, options.sampleFraction());
        }
        continue;
      }
      if (job.source == null || job.destination == null) {
        submit(job.name, lane -> oneSided(lane, job));
      } else if (!job.keyed()) {
        submit(job.name, lane -> multiset(lane, job));
      } else if (!job.split()) {
        submit(job.name, lane -> split(lane, job));
      } else {
        job.select(sample, options.sampleFraction());
        submitRanges(job);
      }
    }
    awaitAll();
    ticker.shutdownNow();
    jobs.forEach(TableJob::finish);
    report();
  }

  private void submitRanges(TableJob job) {
    for (int index : job.pendingRanges()) {
      submit(
          job.name + " range " + index,
          lane -> {
            job.started();
            compare(lane, job, job.range(index), 0);
            job.rangeDone(index);
            report();
          });
    }
  }

  private void split(Lane lane, TableJob job) throws Exception {
    job.started();
    TableSide s = job.source;
    long rows = s.shape().estimatedRows();
    if (rows < 0) {
      rows = dialect.count(lane.source(), s, KeyRange.ALL);
    }
    long rowBytes =
        s.shape().estimatedRowBytes() > 0 ? s.shape().estimatedRowBytes() : UNKNOWN_ROW_BYTES;
    long budget = Math.min(source.byteBudget, destination.byteBudget);
    long perRange = Math.max(100, Math.min(options.targetRangeRows(), budget / rowBytes));
    if (sample) {
      perRange = Math.max(100, perRange / 10);
    }
    long n = Math.min(MAX_RANGES, Math.max(1, ceilDiv(rows, perRange)));
    List<List<String>> boundaries = List.of();
    if (n > 1) {
      boundaries = integerBoundaries(lane, job, rows, n);
      if (boundaries == null) {
        boundaries =
            dialect.boundaries(
                lane.source(), s, KeyRange.ALL, ceilDiv(rows, n), MAX_RANGES - 1, this::check);
      }
    }
    job.split(boundaries, sample, options.sampleFraction());
    report();
    submitRanges(job);
  }

  /**
   * Boundaries evenly spaced between the key's minimum and maximum, when the key is an integer and
   * dense enough for even spacing to give even ranges; null otherwise (the index is walked).
   */
  private List<List<String>> integerBoundaries(Lane lane, TableJob job, long rows, long n)
      throws SQLException {
    if (job.source.key().size() != 1
        || !dialect.integerKey(job.source.key().get(0))
        || !dialect.integerKey(job.destination.key().get(0))) {
      return null;
    }
    String[] minMax = dialect.integerMinMax(lane.source(), job.source);
    if (minMax == null) {
      return List.of();
    }
    BigInteger min = new BigInteger(minMax[0]);
    BigInteger max = new BigInteger(minMax[1]);
    BigInteger span = max.subtract(min).add(BigInteger.ONE);
    if (span.compareTo(
            BigInteger.valueOf(rows).multiply(BigInteger.valueOf(8)).add(BigInteger.valueOf(1000)))
        > 0) {
      return null;
    }
    BigInteger[] qr = span.divideAndRemainder(BigInteger.valueOf(n));
    BigInteger step = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    List<List<String>> out = new ArrayList<>();
    for (long i = 1; i < n; i++) {
      BigInteger b = min.add(step.multiply(BigInteger.valueOf(i)));
      if (b.compareTo(max) > 0) {
        break;
      }
      out.add(List.of(b.toString()));
    }
    return out;
  }

  private void compare(Lane lane, TableJob job, KeyRange range, int depth) throws Exception {
    check();
    long sRows;
    long dRows;
    try {
      Pair<Digest> dg =
          both(
              lane,
              c -> dialect.digest(c, job.source, range),
              c -> dialect.digest(c, job.destination, range));
      if (dg.source().sameAs(dg.destination())) {
        job.rows(dg.source().rows(), dg.destination().rows());
        return;
      }
      sRows = dg.source().rows();
      dRows = dg.destination().rows();
    } catch (RangeTooLargeException e) {
      Pair<Long> counts =
          both(
              lane,
              c -> dialect.count(c, job.source, range),
              c -> dialect.count(c, job.destination, range));
      sRows = counts.source();
      dRows = counts.destination();
    }
    long most = Math.max(sRows, dRows);
    if (sRows == 0 || dRows == 0 || most <= options.leafRows() || depth >= MAX_DEPTH) {
      leaf(lane, job, range, sRows, dRows);
      return;
    }
    boolean fromSource = sRows >= dRows;
    List<List<String>> cuts =
        dialect.boundaries(
            fromSource ? lane.source() : lane.destination(),
            fromSource ? job.source : job.destination,
            range,
            ceilDiv(most, SPLIT),
            SPLIT * 2,
            this::check);
    if (cuts.isEmpty()) {
      leaf(lane, job, range, sRows, dRows);
      return;
    }
    List<String> lower = range.lower();
    for (List<String> cut : cuts) {
      compare(lane, job, new KeyRange(lower, cut), depth + 1);
      lower = cut;
    }
    compare(lane, job, new KeyRange(lower, range.upper()), depth + 1);
  }

  /** Row hashes of both sides, matched by key: the exact missing, extra and changed rows. */
  private void leaf(Lane lane, TableJob job, KeyRange range, long sRows, long dRows)
      throws Exception {
    if (sRows == 0 && dRows == 0) {
      return;
    }
    List<String> differing = new ArrayList<>();
    if (dRows == 0 || sRows == 0) {
      boolean onSource = dRows == 0;
      long[] n = {0};
      dialect.rowHashes(
          onSource ? lane.source() : lane.destination(),
          onSource ? job.source : job.destination,
          range,
          (key, hash) -> {
            n[0]++;
            String shown = display(job, key);
            keepForRecheck(differing, shown);
            if (onSource) {
              job.missing(shown, hash);
            } else {
              job.extra(shown, hash);
            }
          });
      job.rows(onSource ? n[0] : 0, onSource ? 0 : n[0]);
      job.recheckLater(range, differing, Math.max(sRows, dRows) <= options.leafRows());
      return;
    }
    Pair<Map<List<String>, String>> rows =
        both(lane, c -> collect(c, job.source, range), c -> collect(c, job.destination, range));
    Map<List<String>, String> left = new HashMap<>(rows.destination());
    for (Map.Entry<List<String>, String> row : rows.source().entrySet()) {
      String other = left.remove(row.getKey());
      if (other == null || !other.equals(row.getValue())) {
        String shown = display(job, row.getKey());
        keepForRecheck(differing, shown);
        if (other == null) {
          job.missing(shown, row.getValue());
        } else {
          job.changed(shown);
        }
      }
    }
    left.forEach(
        (key, hash) -> {
          String shown = display(job, key);
          keepForRecheck(differing, shown);
          job.extra(shown, hash);
        });
    job.rows(rows.source().size(), rows.destination().size());
    job.recheckLater(range, differing, Math.max(sRows, dRows) <= options.leafRows());
  }

  private static void keepForRecheck(List<String> differing, String key) {
    if (differing.size() < TableJob.KEPT_ROWS) {
      differing.add(key);
    }
  }

  // ---------------------------------------------------------------- recheck after the switch

  /** Rechecks per settle: a row still changing on the destination after these is not compared. */
  static final int RECHECK_ROUNDS = 3;

  /**
   * After {@link #run()}: rechecks the differing rows against the reverse instance (see {@link
   * Settler}). Reads outside the snapshots, on one lane, a few rounds: the destination's rows of
   * each differing range, the destination's position, a wait until the source reached it, the
   * source's rows, the destination's rows again.
   */
  void recheck(Settler settler) {
    try {
      recheckRounds(settler);
    } finally {
      for (TableJob job : jobs) {
        job.recheckDone(RECHECK_ROUNDS);
      }
    }
  }

  private void recheckRounds(Settler settler) {
    List<TableJob> pending =
        jobs.stream()
            .filter(j -> j.keyed() && j.hasDifferences() && !j.recheckable().isEmpty())
            .toList();
    if (pending.isEmpty()) {
      return;
    }
    Lane lane = lanes.poll();
    if (lane == null) {
      return;
    }
    try {
      for (Connection c : List.of(lane.source(), lane.destination())) {
        endSnapshot(c);
      }
      int round = 0;
      while (!pending.isEmpty() && round < RECHECK_ROUNDS) {
        round++;
        Map<TableJob, Map<KeyRange, List<String>>> work = new LinkedHashMap<>();
        Map<TableJob, Map<KeyRange, Map<List<String>, String>>> before = new HashMap<>();
        for (TableJob job : pending) {
          Map<KeyRange, List<String>> ranges = job.recheckable();
          work.put(job, ranges);
          Map<KeyRange, Map<List<String>, String>> rows = new HashMap<>();
          for (KeyRange r : ranges.keySet()) {
            rows.put(r, collect(lane.destination(), job.destination, r));
          }
          before.put(job, rows);
        }
        String position = settler.position();
        if (position == null) {
          pending.forEach(
              j ->
                  j.note(
                      "differences not rechecked: the migration provider has no exact position to"
                          + " wait for"));
          return;
        }
        if (!awaitPosition(settler, position)) {
          pending.forEach(
              j ->
                  j.note(
                      "differences not rechecked: the source did not reach the destination's"
                          + " position "
                          + position
                          + " within "
                          + settler.maxWait().toSeconds()
                          + " s"));
          return;
        }
        List<TableJob> churning = new ArrayList<>();
        for (Map.Entry<TableJob, Map<KeyRange, List<String>>> e : work.entrySet()) {
          TableJob job = e.getKey();
          boolean last = round == RECHECK_ROUNDS;
          for (Map.Entry<KeyRange, List<String>> r : e.getValue().entrySet()) {
            Map<List<String>, String> d1 = before.get(job).get(r.getKey());
            Map<List<String>, String> src = collect(lane.source(), job.source, r.getKey());
            Map<List<String>, String> d2 = collect(lane.destination(), job.destination, r.getKey());
            if (classify(job, r.getValue(), d1, src, d2, last)) {
              churning.add(job);
            }
          }
          report();
        }
        pending = churning.stream().distinct().toList();
      }
    } catch (SQLException e) {
      throw new ValidationException("recheck of the differing rows failed: " + e.getMessage(), e);
    } finally {
      lanes.add(lane);
    }
  }

  /**
   * Ends the snapshot so every later read sees the latest data. PostgreSQL's snapshot is a JDBC
   * transaction; MySQL's was started by statement with autocommit on, where Connector/J refuses
   * {@code rollback()}.
   */
  private static void endSnapshot(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      try (Statement st = c.createStatement()) {
        st.execute("ROLLBACK");
      }
    } else {
      c.rollback();
      c.setAutoCommit(true);
    }
  }

  /**
   * Sorts the rows of one range: equal once the source caught up (in flight), changed on the
   * destination meanwhile (recheck again; on the last round not comparable), or a real difference.
   *
   * @return whether some rows are still changing
   */
  private static boolean classify(
      TableJob job,
      List<String> differing,
      Map<List<String>, String> destinationBefore,
      Map<List<String>, String> source,
      Map<List<String>, String> destinationAfter,
      boolean last) {
    Map<String, List<String>> keys = new HashMap<>();
    for (Map<List<String>, String> rows : List.of(destinationBefore, source, destinationAfter)) {
      rows.keySet().forEach(k -> keys.putIfAbsent(display(job, k), k));
    }
    boolean churning = false;
    for (String shown : differing) {
      List<String> key = keys.get(shown);
      String d1 = key == null ? null : destinationBefore.get(key);
      String s = key == null ? null : source.get(key);
      String d2 = key == null ? null : destinationAfter.get(key);
      if (Objects.equals(s, d1)) {
        job.settled(shown);
      } else if (!Objects.equals(d1, d2)) {
        if (last) {
          job.unsettled(shown);
        } else {
          churning = true;
        }
      }
    }
    return churning;
  }

  private boolean awaitPosition(Settler settler, String position) {
    long deadline = System.nanoTime() + settler.maxWait().toNanos();
    while (!settler.reached(position)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      report();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ValidationException("validation interrupted", e);
      }
    }
    return true;
  }

  private Map<List<String>, String> collect(Connection c, TableSide t, KeyRange range)
      throws SQLException {
    Map<List<String>, String> out = new HashMap<>();
    dialect.rowHashes(c, t, range, out::put);
    return out;
  }

  private static String display(TableJob job, List<String> key) {
    List<Column> columns = job.source.key();
    if (columns.size() == 1) {
      return columns.get(0).name() + "=" + key.get(0);
    }
    StringBuilder out = new StringBuilder("(");
    for (int i = 0; i < columns.size(); i++) {
      out.append(i == 0 ? "" : ", ").append(columns.get(i).name()).append('=').append(key.get(i));
    }
    return out.append(')').toString();
  }

  /** A table without a usable key: order-independent digests, then a merge of sorted row hashes. */
  private void multiset(Lane lane, TableJob job) throws Exception {
    job.started();
    Pair<Digest> dg =
        both(
            lane,
            c -> dialect.multisetDigest(c, job.source),
            c -> dialect.multisetDigest(c, job.destination));
    job.rows(dg.source().rows(), dg.destination().rows());
    if (!dg.source().sameAs(dg.destination())) {
      mergeHashes(lane, job);
    }
    job.finish();
    report();
  }

  private void mergeHashes(Lane lane, TableJob job) throws Exception {
    long missing = 0;
    long extra = 0;
    List<String> missingHashes = new ArrayList<>();
    List<String> extraHashes = new ArrayList<>();
    try (HashStream s = new HashStream(dialect, lane.source(), job.source);
        HashStream d = new HashStream(dialect, lane.destination(), job.destination)) {
      HashStream.Entry a = s.next();
      HashStream.Entry b = d.next();
      while (a != null || b != null) {
        int order = a == null ? 1 : b == null ? -1 : a.hash().compareTo(b.hash());
        if (order < 0) {
          missing += a.rows();
          keep(missingHashes, a.hash());
          a = s.next();
        } else if (order > 0) {
          extra += b.rows();
          keep(extraHashes, b.hash());
          b = d.next();
        } else {
          if (a.rows() > b.rows()) {
            missing += a.rows() - b.rows();
            keep(missingHashes, a.hash());
          } else if (b.rows() > a.rows()) {
            extra += b.rows() - a.rows();
            keep(extraHashes, b.hash());
          }
          a = s.next();
          b = d.next();
        }
      }
    }
    List<String> missingRows =
        missingHashes.isEmpty()
            ? List.of()
            : dialect.rowsWithHashes(lane.source(), job.source, missingHashes, 3);
    List<String> extraRows =
        extraHashes.isEmpty()
            ? List.of()
            : dialect.rowsWithHashes(lane.destination(), job.destination, extraHashes, 3);
    job.multisetDifferences(
        missing,
        missingRows.stream().map(SqlValidation::shorten).toList(),
        extra,
        extraRows.stream().map(SqlValidation::shorten).toList());
  }

  private static void keep(List<String> hashes, String hash) {
    if (hashes.size() < 3) {
      hashes.add(hash);
    }
  }

  private static String shorten(String row) {
    return "row " + (row.length() > 200 ? row.substring(0, 200) + "..." : row);
  }

  /** A table on one side only: all its rows are missing (or extra). */
  private void oneSided(Lane lane, TableJob job) throws SQLException {
    job.started();
    if (job.source != null) {
      long n = dialect.count(lane.source(), job.source, KeyRange.ALL);
      job.rows(n, 0);
      job.multisetDifferences(n, List.of(), 0, List.of());
    } else {
      long n = dialect.count(lane.destination(), job.destination, KeyRange.ALL);
      job.rows(0, n);
      job.multisetDifferences(0, List.of(), n, List.of());
    }
    job.finish();
    report();
  }

  /** Runs a query on each side at once, on the lane's two sessions. */
  private <T> Pair<T> both(Lane lane, SqlCall<T> onSource, SqlCall<T> onDestination)
      throws Exception {
    Future<T> d = destinationQueries.submit(() -> onDestination.call(lane.destination()));
    T s = null;
    Exception first = null;
    try {
      s = onSource.call(lane.source());
    } catch (Exception e) {
      first = e;
    }
    T dv = null;
    try {
      dv = d.get();
    } catch (ExecutionException e) {
      if (first == null) {
        first = e.getCause() instanceof Exception ex ? ex : new ValidationException("", e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (first == null) {
        first = e;
      }
    }
    if (first != null) {
      throw first;
    }
    return new Pair<>(s, dv);
  }

  // ---------------------------------------------------------------- tasks and progress

  private void submit(String what, LaneTask task) {
    synchronized (lock) {
      if (failure != null) {
        return;
      }
      pending++;
    }
    tasks.execute(
        () -> {
          try {
            if (!failed()) {
              Lane lane = lanes.take();
              try {
                task.run(lane);
              } finally {
                lanes.add(lane);
              }
            }
          } catch (Throwable t) {
            fail(wrap(what, t));
          } finally {
            synchronized (lock) {
              pending--;
              lock.notifyAll();
            }
          }
        });
  }

  private static Throwable wrap(String what, Throwable t) {
    if (t instanceof SQLException) {
      return new ValidationException(what + ": " + t.getMessage(), t);
    }
    if (t instanceof RuntimeException || t instanceof Error) {
      return t;
    }
    return new ValidationException(what + ": " + t, t);
  }

  private void awaitAll() {
    synchronized (lock) {
      while (pending > 0) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail(new ValidationException("validation interrupted", e));
          break;
        }
      }
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null) {
        throw new ValidationException(failure.getMessage(), failure);
      }
    }
  }

  private void fail(Throwable t) {
    synchronized (lock) {
      if (failure == null) {
        failure = t;
      }
      lock.notifyAll();
    }
  }

  private boolean failed() {
    synchronized (lock) {
      return failure != null;
    }
  }

  /** Stops work in progress once something failed elsewhere. */
  private void check() {
    if (failed()) {
      throw new StoppedException();
    }
  }

  private static final class StoppedException extends RuntimeException {
    StoppedException() {
      super("stopped: another part of the validation failed", null, false, false);
    }
  }

  private void tick() {
    if (failed()) {
      return;
    }
    if (System.nanoTime() - lastReportNanos >= options.progressInterval().toNanos()) {
      try {
        report();
      } catch (Throwable t) {
        fail(t);
      }
    }
  }

  private void report() {
    synchronized (reportLock) {
      lastReportNanos = System.nanoTime();
      listener.onProgress(progress());
    }
  }

  List<TableRun> results() {
    return jobs == null ? List.of() : jobs.stream().map(TableJob::result).toList();
  }

  /** Until the tables are planned, the progress resumed from (a heartbeat must not lose it). */
  ValidationProgress progress() {
    List<TableJob> planned = jobs;
    if (planned == null) {
      return resume == null ? new ValidationProgress(List.of()) : resume;
    }
    return new ValidationProgress(planned.stream().map(TableJob::progress).toList());
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  private static ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
    if (tasks != null) {
      tasks.shutdownNow();
    }
    if (destinationQueries != null) {
      destinationQueries.shutdownNow();
    }
    if (source != null) {
      source.close();
    }
    if (destination != null) {
      destination.close();
    }
  }
}
