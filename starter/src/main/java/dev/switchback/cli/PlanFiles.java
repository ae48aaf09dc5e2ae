package dev.switchback.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.InvalidPlanException;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.PlanValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads plan files. YAML is converted 1:1 to the plan records (the workflow's input is the same
 * plan as JSON), and every way a file can be wrong comes back as a {@link PlanProblem} naming the
 * field and the fix, before anything is started.
 */
public final class PlanFiles {
  // A key written twice would otherwise keep only its last value without a word: a second gates:
  // block once made every gate auto.
  private static final ObjectMapper YAML =
      new ObjectMapper(
          YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

  private PlanFiles() {}

  /**
   * A plan file as read: the plan built from whatever was well-formed (null when nothing was), and
   * every field that had to be left out, so that one run reports all of them.
   */
  public record Read(CutoverPlan plan, List<PlanProblem> problems) {}

  /**
   * Reads {@code file}. Fields that are unknown or of the wrong shape are reported and left out,
   * and the rest is read, so the operator sees every problem at once instead of one per attempt.
   *
   * @throws CliException exit 2 when the file is missing or is not YAML
   */
  public static Read read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw problems(file, new PlanProblem(file.toString(), "no such file", "check the path"));
    } catch (IOException e) {
      throw problems(
          file, new PlanProblem(file.toString(), "cannot be read: " + e.getMessage(), null));
    }
    JsonNode tree;
    try {
      tree = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      PlanProblem duplicate = duplicateKey(e);
      if (duplicate != null) {
        throw problems(file, duplicate);
      }
      throw problems(
          file,
          new PlanProblem(
              "(yaml)",
              "not valid YAML" + at(e.getLocation()) + ": " + e.getOriginalMessage(),
              "fix the syntax (indentation, a missing ':' or quote)"));
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      return new Read(null, List.of());
    }
    if (!tree.isObject()) {
      throw problems(
          file,
          new PlanProblem(
              "(plan)",
              "is not a mapping of fields",
              "start the file with the plan's fields, e.g. name: orders"));
    }
    List<PlanProblem> problems = new ArrayList<>();
    // Each pass reports one field and removes it; a plan has far fewer fields than this.
    for (int pass = 0; pass < 200; pass++) {
      try {
        return new Read(YAML.treeToValue(tree, CutoverPlan.class), List.copyOf(problems));
      } catch (UnrecognizedPropertyException e) {
        String known =
            e.getKnownPropertyIds() == null
                ? ""
                : e.getKnownPropertyIds().stream()
                    .map(Object::toString)
                    .collect(Collectors.toCollection(TreeSet::new))
                    .toString();
        problems.add(
            new PlanProblem(
                path(e),
                "unknown field '" + e.getPropertyName() + "'",
                "remove it or use one of " + known));
        if (!remove(tree, e.getPath())) {
          return new Read(null, List.copyOf(problems));
        }
      } catch (InvalidFormatException e) {
        problems.add(
            new PlanProblem(
                path(e),
                "'" + e.getValue() + "' is not a " + typeName(e.getTargetType()),
                "write a " + typeName(e.getTargetType())));
        if (!remove(tree, e.getPath())) {
          return new Read(null, List.copyOf(problems));
        }
      } catch (MismatchedInputException e) {
        problems.add(
            new PlanProblem(path(e), "has the wrong shape", "write " + shape(e.getTargetType())));
        if (!remove(tree, e.getPath())) {
          return new Read(null, List.copyOf(problems));
        }
      } catch (JsonProcessingException e) {
        problems.add(new PlanProblem("(plan)", e.getOriginalMessage(), null));
        return new Read(null, List.copyOf(problems));
      }
    }
    return new Read(null, List.copyOf(problems));
  }

  /**
   * Reads and validates {@code file}.
   *
   * @return the plan as written (the workflow input) and, validated with defaults, for display
   * @throws CliException exit 2 listing every problem
   */
  public static Loaded load(Path file) {
    Read read = read(file);
    List<PlanProblem> problems = new ArrayList<>(read.problems());
    if (read.plan() != null || problems.isEmpty()) {
      for (PlanProblem p :
          PlanValidator.problems(read.plan() == null ? null : read.plan().withDefaults())) {
        // A field left out for its shape would only come back as "missing": say it once.
        if (problems.stream().noneMatch(q -> covers(q.field(), p.field()))) {
          problems.add(p);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw problems(file, problems);
    }
    try {
      return new Loaded(read.plan(), PlanValidator.validate(read.plan()));
    } catch (InvalidPlanException e) {
      throw problems(file, e.problems());
    }
  }

  private static boolean covers(String reported, String field) {
    return field.equals(reported)
        || field.startsWith(reported + ".")
        || field.startsWith(reported + "[");
  }

  /** Removes the node at {@code path}; false when there is nothing to remove. */
  private static boolean remove(JsonNode tree, List<JsonMappingException.Reference> path) {
    if (path.isEmpty()) {
      return false;
    }
    JsonNode parent = tree;
    for (JsonMappingException.Reference r : path.subList(0, path.size() - 1)) {
      parent = r.getFieldName() != null ? parent.get(r.getFieldName()) : parent.get(r.getIndex());
      if (parent == null) {
        return false;
      }
    }
    JsonMappingException.Reference last = path.get(path.size() - 1);
    if (last.getFieldName() != null && parent instanceof ObjectNode o) {
      return o.remove(last.getFieldName()) != null;
    }
    if (last.getFieldName() == null && last.getIndex() >= 0 && parent instanceof ArrayNode a) {
      return a.remove(last.getIndex()) != null;
    }
    return false;
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

  /**
   * The problem a key written twice in one mapping is (strict duplicate detection), or null for any
   * other parse error. The parser stands on the duplicate when it reports it, so its path names the
   * key in plan terms.
   */
  private static PlanProblem duplicateKey(JsonProcessingException e) {
    if (!(e instanceof StreamReadException read)
        || read.getProcessor() == null
        || e.getOriginalMessage() == null
        || !e.getOriginalMessage().startsWith("Duplicate field")) {
      return null;
    }
    JsonParser parser = read.getProcessor();
    StringBuilder field = new StringBuilder();
    for (String part : parser.getParsingContext().pathAsPointer().toString().split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      if (part.chars().allMatch(Character::isDigit)) {
        field.append('[').append(part).append(']');
      } else {
        field
            .append(field.length() == 0 ? "" : ".")
            .append(part.replace("~1", "/").replace("~0", "~"));
      }
    }
    String key = parser.getParsingContext().getCurrentName();
    String where = field.length() == 0 ? "(plan)" : field.toString();
    int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
    return new PlanProblem(
        where,
        "appears twice"
            + (line < 1 ? "" : " (again at line " + line + ")")
            + "; only one value can hold, and YAML would keep the last one without a word",
        "keep one " + key + ": and merge what the two say into it");
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
