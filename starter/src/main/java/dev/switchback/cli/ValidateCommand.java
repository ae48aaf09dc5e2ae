package dev.switchback.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.ProgressListener;
import dev.switchback.activities.validation.TableRun;
import dev.switchback.activities.validation.ValidationProgress;
import dev.switchback.activities.validation.ValidationRun;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.InvalidPlanException;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code switchback validate PLAN}: proves the plan's source and destination hold the same data,
 * without starting a cutover (the seed's answer when writes reached the source after the switch).
 * Runs in this process against the databases; needs no Temporal server.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Compare the plan's source and destination data: the tables of validation.tables (every"
          + " table when none are listed, key patterns for Redis), split into key ranges hashed"
          + " inside both databases; differing ranges are narrowed down to the exact missing,"
          + " extra and changed rows.",
      "",
      "Passwords are the plan's references (env:NAME, file:/path), resolved here."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:identical",
      "1:differences found, or the validation could not run (a database unreachable)",
      "2:bad input: invalid plan or argument; nothing was compared"
    })
public final class ValidateCommand implements Callable<Integer> {
  static final int IDENTICAL = 0;
  static final int DIFFERENT = 1;
  static final int BAD_INPUT = 2;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Parameters(index = "0", paramLabel = "PLAN", description = "the cutover plan (YAML)")
  Path planFile;

  @Option(names = "--json", description = "print one JSON object on stdout, errors included")
  boolean json;

  @Option(
      names = "--tables",
      split = ",",
      paramLabel = "TABLE",
      description = "compare these tables (schema.table) instead of the plan's validation.tables")
  List<String> tables;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description = "full (every row) or sample (a tenth of the key ranges); default: the plan's")
  String mode;

  @Option(
      names = "--parallel",
      defaultValue = "4",
      paramLabel = "N",
      description = "sessions per side hashing ranges at once (default: ${DEFAULT-VALUE})")
  int parallel;

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ValidateCommand()).execute(args));
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    CutoverPlan plan;
    try {
      plan = load();
    } catch (InvalidPlanException e) {
      return error(BAD_INPUT, e.getMessage(), e.problems());
    } catch (BadInput e) {
      return error(BAD_INPUT, e.getMessage(), List.of());
    }
    if (parallel < 1 || parallel > 64) {
      return error(BAD_INPUT, "--parallel: " + parallel + " is not 1..64", List.of());
    }
    DataValidator validator =
        new DataValidator(DataValidator.Options.defaults().withParallelism(parallel));
    try (Connections connections = new Connections(new Secrets())) {
      ValidationRun run = validator.run(connections, plan, null, progress(err));
      if (json) {
        out.println(toJson(run));
      } else {
        print(out, run);
      }
      out.flush();
      return run.passed() ? IDENTICAL : DIFFERENT;
    } catch (ApplicationFailure f) {
      int code = FailureTypes.INVALID_PLAN.equals(f.getType()) ? BAD_INPUT : DIFFERENT;
      return error(code, f.getOriginalMessage(), List.of());
    } catch (RuntimeException e) {
      return error(DIFFERENT, "validation could not run: " + e.getMessage(), List.of());
    }
  }

  /** The plan, validated, with --tables and --mode applied over its validation section. */
  private CutoverPlan load() {
    CutoverPlan read;
    try {
      read = YAML.readValue(planFile.toFile(), CutoverPlan.class);
    } catch (NoSuchFileException | java.io.FileNotFoundException e) {
      throw new BadInput(planFile + ": no such file");
    } catch (JsonProcessingException e) {
      throw new BadInput(planFile + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadInput(planFile + ": cannot be read (" + e.getMessage() + ")");
    }
    if (read == null) {
      throw new BadInput(planFile + ": the plan is empty");
    }
    ValidationSpec given =
        read.validation() == null ? new ValidationSpec(null, null, null) : read.validation();
    ValidationSpec validation =
        new ValidationSpec(
            tables != null ? tables : given.tables(),
            mode != null ? mode : given.mode(),
            given.failOnDifference());
    return PlanValidator.validate(
        new CutoverPlan(
            read.name(),
            read.migration(),
            read.source(),
            read.destination(),
            read.migrationAccount(),
            read.router(),
            read.thresholds(),
            read.gates(),
            read.approvers(),
            read.approvals(),
            read.tests(),
            validation,
            read.soak()));
  }

  /** A line on stderr every few seconds: long validations show where they are. */
  private static ProgressListener progress(PrintWriter err) {
    long[] last = {System.nanoTime()};
    return p -> {
      if (System.nanoTime() - last[0] < 5_000_000_000L) {
        return;
      }
      last[0] = System.nanoTime();
      StringBuilder line = new StringBuilder("validating:");
      for (ValidationProgress.TableProgress t : p.tables()) {
        if (!t.finished() && t.ranges() > 0) {
          line.append(
              String.format(
                  " %s %d/%d ranges, %,d rows;",
                  t.table(), t.rangesDone(), t.ranges(), t.sourceRows()));
        }
      }
      err.println(line);
      err.flush();
    };
  }

  private static void print(PrintWriter out, ValidationRun run) {
    String format = "%-32s %14s %14s %7s %9s %9s %9s %8s%n";
    out.printf(
        format,
        "TABLE",
        "SOURCE ROWS",
        "DEST ROWS",
        "RANGES",
        "MISSING",
        "EXTRA",
        "CHANGED",
        "TIME");
    for (TableRun t : run.tables()) {
      TableComparison c = t.comparison();
      out.printf(
          format,
          t.table(),
          String.format("%,d", c.sourceRows()),
          String.format("%,d", c.destinationRows()),
          t.ranges(),
          String.format("%,d", c.missing()),
          String.format("%,d", c.extra()),
          String.format("%,d", c.changed()),
          String.format("%.1f s", t.durationMs() / 1000.0));
    }
    for (TableRun t : run.tables()) {
      for (String problem : t.problems()) {
        out.println(t.table() + ": " + problem);
      }
      if (!t.differences().isEmpty()) {
        List<String> shown = t.differences().stream().limit(20).toList();
        long more = t.comparison().missing() + t.comparison().extra() + t.comparison().changed();
        out.println(
            t.table()
                + ": "
                + String.join(", ", shown)
                + (more > shown.size() ? String.format(" (%,d in all)", more) : ""));
      }
    }
    out.println((run.passed() ? "IDENTICAL " : "DIFFERENT ") + run.report().detail());
  }

  static String toJson(ValidationRun run) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("passed", run.passed());
    doc.put("durationMs", run.report().durationMs());
    doc.put("detail", run.report().detail());
    doc.put(
        "tables",
        run.tables().stream()
            .map(
                t -> {
                  TableComparison c = t.comparison();
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("table", t.table());
                  m.put("passed", t.passed());
                  m.put("sourceRows", c.sourceRows());
                  m.put("destinationRows", c.destinationRows());
                  m.put("ranges", t.ranges());
                  m.put("missing", c.missing());
                  m.put("extra", c.extra());
                  m.put("changed", c.changed());
                  m.put("durationMs", t.durationMs());
                  m.put("differences", t.differences());
                  m.put("problems", t.problems());
                  m.put("notes", t.notes());
                  return m;
                })
            .toList());
    return write(doc);
  }

  private int error(int code, String message, List<PlanProblem> problems) {
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("error", message);
      doc.put("exitCode", code);
      if (!problems.isEmpty()) {
        doc.put("problems", problems);
      }
      spec.commandLine().getOut().println(write(doc));
      spec.commandLine().getOut().flush();
    } else {
      spec.commandLine().getErr().println(message);
      spec.commandLine().getErr().flush();
    }
    return code;
  }

  private static String write(Object doc) {
    try {
      return JSON.writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message);
    }
  }
}
