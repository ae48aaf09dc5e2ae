package dev.switchback.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.InvalidPlanException;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.PlanValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads plan files. YAML is converted 1:1 to the plan records (the workflow's input is the same
 * plan as JSON), and every way a file can be wrong comes back as a {@link PlanProblem} naming the
 * field and the fix, before anything is started.
 */
public final class PlanFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private PlanFiles() {}

  /** The plan as written, or the problems that stop it being read. */
  public static CutoverPlan read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw problems(file, new PlanProblem(file.toString(), "no such file", "check the path"));
    } catch (IOException e) {
      throw problems(
          file, new PlanProblem(file.toString(), "cannot be read: " + e.getMessage(), null));
    }
    try {
      return YAML.readValue(text, CutoverPlan.class);
    } catch (UnrecognizedPropertyException e) {
      String known =
          e.getKnownPropertyIds() == null
              ? ""
              : e.getKnownPropertyIds().stream()
                  .map(Object::toString)
                  .collect(Collectors.toCollection(TreeSet::new))
                  .toString();
      throw problems(
          file,
          new PlanProblem(
              path(e),
              "unknown field '" + e.getPropertyName() + "'" + at(e.getLocation()),
              "remove it or use one of " + known));
    } catch (InvalidFormatException e) {
      throw problems(
          file,
          new PlanProblem(
              path(e),
              "'"
                  + e.getValue()
                  + "' is not a "
                  + typeName(e.getTargetType())
                  + at(e.getLocation()),
              "write a " + typeName(e.getTargetType())));
    } catch (MismatchedInputException e) {
      throw problems(
          file,
          new PlanProblem(
              path(e),
              "has the wrong shape" + at(e.getLocation()),
              "write " + shape(e.getTargetType())));
    } catch (JsonProcessingException e) {
      throw problems(
          file,
          new PlanProblem(
              "(yaml)",
              "not valid YAML" + at(e.getLocation()) + ": " + e.getOriginalMessage(),
              "fix the syntax (indentation, a missing ':' or quote)"));
    }
  }

  /**
   * Reads and validates {@code file}.
   *
   * @return the plan as written (the workflow input) and, validated with defaults, for display
   * @throws CliException exit 2 listing every problem
   */
  public static Loaded load(Path file) {
    CutoverPlan raw = read(file);
    try {
      return new Loaded(raw, PlanValidator.validate(raw));
    } catch (InvalidPlanException e) {
      throw problems(file, e.problems());
    }
  }

  /** A plan as written and with defaults filled in. */
  public record Loaded(CutoverPlan asWritten, CutoverPlan withDefaults) {}

  static CliException problems(Path file, PlanProblem problem) {
    return problems(file, List.of(problem));
  }

  static CliException problems(Path file, List<PlanProblem> problems) {
    StringBuilder b = new StringBuilder("plan " + file + " is invalid; nothing was done:");
    for (PlanProblem p : problems) {
      b.append("\n  ").append(p.field()).append(": ").append(p.problem());
      if (p.fix() != null) {
        b.append("\n      fix: ").append(p.fix());
      }
    }
    return new CliException(CliException.BAD_INPUT, b.toString(), problems, null);
  }

  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        if (b.length() > 0) {
          b.append('.');
        }
        b.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.length() == 0 ? "(plan)" : b.toString();
  }

  private static String at(JsonLocation location) {
    if (location == null || location.getLineNr() < 1) {
      return "";
    }
    return " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  private static String typeName(Class<?> type) {
    if (type == null) {
      return "value";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true/false value";
    }
    if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
      return "number";
    }
    return "text value";
  }

  private static String shape(Class<?> type) {
    if (type == null) {
      return "the value the field expects";
    }
    if (List.class.isAssignableFrom(type) || type.isArray()) {
      return "a list, e.g. [a, b] or one '- item' per line";
    }
    if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "a mapping of fields (key: value lines, indented under it)";
    }
    return "a " + typeName(type);
  }
}
