package dev.switchback.activities.validation;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.mysql.MySqlValidationDialect;
import dev.switchback.activities.postgres.PostgresValidationDialect;
import dev.switchback.activities.redis.RedisValidator;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Proves that source and destination hold the same data, the seed's answer to writes that reached
 * the source after the switch. Tables are split into key ranges; each range is hashed inside both
 * databases over a canonical text rendering of its rows (MD5, not CRC32); equal ranges are done
 * with, and differing ones are narrowed down to the exact missing, extra and changed rows. Ranges
 * run in parallel over {@link Options#parallelism()} sessions per side, all reading one consistent
 * snapshot per side; progress can be heartbeated and a restarted validation resumes from it.
 *
 * <p>Engines: PostgreSQL to PostgreSQL, MySQL/MariaDB to MySQL/MariaDB, and Redis to Redis (key by
 * key, see {@link RedisValidator}).
 */
public final class DataValidator {

  /**
   * How a validation runs.
   *
   * @param parallelism sessions per side hashing ranges at once (plus one control session each)
   * @param targetRangeRows rows per key range when the rows are small; wide rows get fewer
   * @param leafRows a differing range with at most this many rows is compared row by row
   * @param sampleFraction in {@code sample} mode, the share of ranges compared
   * @param progressInterval the longest time between two progress reports
   */
  public record Options(
      int parallelism,
      long targetRangeRows,
      int leafRows,
      double sampleFraction,
      Duration progressInterval) {

    public Options {
      if (parallelism < 1 || parallelism > 64) {
        throw new IllegalArgumentException("parallelism must be 1..64, not " + parallelism);
      }
      if (targetRangeRows < 100) {
        throw new IllegalArgumentException("targetRangeRows must be at least 100");
      }
      if (leafRows < 1) {
        throw new IllegalArgumentException("leafRows must be at least 1");
      }
      if (!(sampleFraction > 0 && sampleFraction <= 1)) {
        throw new IllegalArgumentException("sampleFraction must be in (0, 1]");
      }
    }

    public static Options defaults() {
      return new Options(4, 100_000, 10_000, 0.1, Duration.ofSeconds(5));
    }

    public Options withParallelism(int n) {
      return new Options(n, targetRangeRows, leafRows, sampleFraction, progressInterval);
    }

    public Options withTargetRangeRows(long rows) {
      return new Options(parallelism, rows, leafRows, sampleFraction, progressInterval);
    }

    public Options withLeafRows(int rows) {
      return new Options(parallelism, targetRangeRows, rows, sampleFraction, progressInterval);
    }

    public Options withProgressInterval(Duration interval) {
      return new Options(parallelism, targetRangeRows, leafRows, sampleFraction, interval);
    }
  }

  /** One line per engine family: adding an engine is adding its dialect here. */
  private static final Map<String, Supplier<ValidationDialect>> DIALECTS =
      Map.of(
          "postgres", PostgresValidationDialect::new,
          "mysql", MySqlValidationDialect::new,
          "mariadb", MySqlValidationDialect::new);

  private final Options options;

  public DataValidator() {
    this(Options.defaults());
  }

  public DataValidator(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  /** Compares the plan's {@code validation} tables (every table when none are listed). */
  public ValidationReport validate(
      Connections connections, CutoverPlan plan, ProgressListener listener) {
    return run(connections, plan, null, listener).report();
  }

  /**
   * As {@link #validate(Connections, CutoverPlan, ProgressListener)}, continuing from the progress
   * an earlier attempt reported (an activity's last heartbeat details), or from the start when
   * {@code resume} is null.
   */
  public ValidationReport validate(
      Connections connections,
      CutoverPlan plan,
      ValidationProgress resume,
      ProgressListener listener) {
    return run(connections, plan, resume, listener).report();
  }

  /**
   * As {@link #validate(Connections, CutoverPlan, ValidationProgress, ProgressListener)}, after the
   * switch: differing rows are rechecked against the reverse instance (see {@link Settler}), so
   * rows in flight are not reported as differences.
   */
  public ValidationReport validate(
      Connections connections,
      CutoverPlan plan,
      ValidationProgress resume,
      ProgressListener listener,
      Settler settler) {
    return run(connections, plan, resume, listener, settler).report();
  }

  /** The full result, with per-table ranges and times (what the CLI prints). */
  public ValidationRun run(
      Connections connections,
      CutoverPlan plan,
      ValidationProgress resume,
      ProgressListener listener) {
    return run(connections, plan, resume, listener, null);
  }

  /** The full result; with a settler, differing rows are rechecked (see {@link Settler}). */
  public ValidationRun run(
      Connections connections,
      CutoverPlan plan,
      ValidationProgress resume,
      ProgressListener listener,
      Settler settler) {
    ValidationSpec spec = spec(plan);
    ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
    String sourceEngine = plan.source() == null ? null : plan.source().engine();
    String destinationEngine = plan.destination() == null ? null : plan.destination().engine();
    if ("redis".equals(sourceEngine) && "redis".equals(destinationEngine)) {
      return new RedisValidator(options).run(connections.secrets(), plan, spec, progress, settler);
    }
    ValidationDialect dialect = dialect(sourceEngine, destinationEngine);
    long start = System.nanoTime();
    try (SqlValidation validation =
        new SqlValidation(dialect, options, progress, "sample".equals(spec.mode()), resume)) {
      validation.open(plan.source(), plan.destination(), connections.secrets());
      validation.plan(spec.tables());
      validation.run();
      if (settler != null) {
        validation.recheck(settler);
      }
      return report(
          validation.results(), validation.notes(), (System.nanoTime() - start) / 1_000_000);
    }
  }

  /**
   * The read-only look preflight takes before any side effect: the engines can be compared, the
   * listed tables exist, and both sides have the columns to compare. Opens one session per side and
   * reads only catalogs.
   *
   * @return what the validation will compare, for the preflight report
   * @throws ApplicationFailure non-retryable, naming the field, when the plan cannot be validated
   * @throws ValidationException when an endpoint cannot be read
   */
  public String preflight(Connections connections, CutoverPlan plan) {
    ValidationSpec spec = spec(plan);
    String sourceEngine = plan.source() == null ? null : plan.source().engine();
    String destinationEngine = plan.destination() == null ? null : plan.destination().engine();
    if ("redis".equals(sourceEngine) && "redis".equals(destinationEngine)) {
      return "Redis key by key (SCAN, then a type-aware digest per key), "
          + (spec.tables().isEmpty() ? "every key" : "keys matching " + spec.tables());
    }
    ValidationDialect dialect = dialect(sourceEngine, destinationEngine);
    try (SqlValidation validation =
        new SqlValidation(
            dialect, options.withParallelism(1), ProgressListener.NONE, false, null)) {
      validation.open(plan.source(), plan.destination(), connections.secrets());
      List<TableJob> jobs = validation.plan(spec.tables());
      List<String> problems = new ArrayList<>();
      for (TableJob j : jobs) {
        j.problems.forEach(p -> problems.add(j.name + ": " + p));
      }
      if (!problems.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "validation.tables: the validation after the switch would fail before comparing a"
                + " row: "
                + String.join("; ", problems)
                + "; align the schemas or leave these tables out of validation.tables",
            FailureTypes.INVALID_PLAN);
      }
      List<String> names = jobs.stream().map(j -> j.name).toList();
      String listed =
          names.size() <= 10
              ? String.join(", ", names)
              : String.join(", ", names.subList(0, 10)) + " and " + (names.size() - 10) + " more";
      return spec.mode()
          + " validation of "
          + names.size()
          + " table(s): "
          + listed
          + (validation.notes().isEmpty()
              ? ""
              : " [" + String.join("; ", validation.notes()) + "]");
    }
  }

  static ValidationSpec spec(CutoverPlan plan) {
    ValidationSpec spec =
        plan.validation() == null ? new ValidationSpec(null, null, null) : plan.validation();
    spec = spec.withDefaults();
    if (!List.of("full", "sample").contains(spec.mode())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "validation.mode: '" + spec.mode() + "' is not a mode; use full or sample",
          FailureTypes.INVALID_PLAN);
    }
    return spec;
  }

  private static ValidationDialect dialect(String sourceEngine, String destinationEngine) {
    Supplier<ValidationDialect> s = DIALECTS.get(sourceEngine);
    Supplier<ValidationDialect> d = DIALECTS.get(destinationEngine);
    if (s == null || d == null) {
      String engine = s == null ? sourceEngine : destinationEngine;
      throw ApplicationFailure.newNonRetryableFailure(
          (s == null ? "source" : "destination")
              + ".engine: data validation supports postgres, mysql, mariadb and redis, not "
              + engine
              + "; remove validation: from the plan and compare the data with the engine's own"
              + " tools",
          FailureTypes.INVALID_PLAN);
    }
    ValidationDialect dialect = s.get();
    if (!dialect.getClass().equals(d.get().getClass())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "destination.engine: data validation compares like with like, and the source is "
              + sourceEngine
              + " while the destination is "
              + destinationEngine
              + "; their text renderings of the same value differ, so remove validation: from"
              + " the plan",
          FailureTypes.INVALID_PLAN);
    }
    return dialect;
  }

  /** The report the workflow keeps: passed only when every table is the same on both sides. */
  public static ValidationRun report(List<TableRun> tables, List<String> notes, long durationMs) {
    boolean passed = tables.stream().allMatch(TableRun::passed);
    long rows = tables.stream().mapToLong(t -> t.comparison().sourceRows()).sum();
    StringBuilder detail = new StringBuilder();
    if (passed) {
      detail.append(
          String.format(
              "identical: %d table(s), %,d rows compared in %s",
              tables.size(), rows, seconds(durationMs)));
    } else {
      List<TableRun> differing = tables.stream().filter(t -> !t.passed()).toList();
      detail.append(
          String.format(
              "%d of %d table(s) differ (%,d rows compared in %s): ",
              differing.size(), tables.size(), rows, seconds(durationMs)));
      List<String> parts = new ArrayList<>();
      for (TableRun t : differing) {
        parts.add(t.table() + " " + describe(t));
      }
      detail.append(String.join("; ", parts));
    }
    List<String> allNotes = new ArrayList<>(notes);
    for (TableRun t : tables) {
      t.notes().forEach(n -> allNotes.add(t.table() + ": " + n));
    }
    if (!allNotes.isEmpty()) {
      detail.append(" [").append(String.join("; ", allNotes)).append(']');
    }
    String text = detail.length() > 4000 ? detail.substring(0, 4000) + "..." : detail.toString();
    List<TableComparison> comparisons = tables.stream().map(TableRun::comparison).toList();
    return new ValidationRun(new ValidationReport(passed, comparisons, durationMs, text), tables);
  }

  /** {@code (1 missing, 2 changed; e.g. missing id=3, changed id=9)}. */
  public static String describe(TableRun t) {
    TableComparison c = t.comparison();
    List<String> counts = new ArrayList<>(t.problems());
    if (c.missing() > 0) {
      counts.add(String.format("%,d missing", c.missing()));
    }
    if (c.extra() > 0) {
      counts.add(String.format("%,d extra", c.extra()));
    }
    if (c.changed() > 0) {
      counts.add(String.format("%,d changed", c.changed()));
    }
    List<String> rowExamples =
        c.examples().stream().filter(e -> !t.problems().contains(e)).limit(3).toList();
    return "("
        + String.join(", ", counts)
        + (rowExamples.isEmpty() ? "" : "; e.g. " + String.join(", ", rowExamples))
        + ")";
  }

  private static String seconds(long ms) {
    return String.format("%.1f s", ms / 1000.0);
  }
}
