package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every duration field of a plan is bounded by the validator: text that is no duration, a number
 * too large for any arithmetic, a value below what makes sense (a test with 0s to run) or above it
 * (a soak of centuries) is refused naming the field, and the bounds themselves are accepted. A plan
 * that passes can therefore never make the workflow throw on a duration later.
 */
class PlanDurationsTest {

  /** Each duration field of a plan, and a valid plan with only that field set to a value. */
  private static Map<String, Function<String, CutoverPlan>> fields() {
    Map<String, Function<String, CutoverPlan>> f = new LinkedHashMap<>();
    f.put(
        "router.timeout",
        v -> plan(new RouterSpec("manual", null, null, v, null), null, null, null));
    for (RecordComponent c : Thresholds.class.getRecordComponents()) {
      f.put("thresholds." + c.getName(), v -> plan(null, thresholds(c.getName(), v), null, null));
    }
    for (String gate : List.of(GatesSpec.QUIESCE, GatesSpec.SWITCH, GatesSpec.FINALIZE)) {
      f.put("gates." + gate + ".timeout", v -> plan(null, null, gates(gate, v), null));
    }
    f.put(
        "tests[0].timeout",
        v ->
            with(
                plan(null, null, null, null),
                List.of(new TestSpec("smoke", "sql", "SELECT 1", null, null, null, null, v))));
    f.put("soak", v -> plan(null, null, null, v));
    return f;
  }

  @Test
  void theLimitsCoverEveryDurationFieldOfThePlan() {
    Set<String> generalised =
        fields().keySet().stream()
            .map(k -> k.replaceAll("\\[\\d+]", "[]").replaceAll("^gates\\.[a-z]+\\.", "gates."))
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(DurationLimits.FIELDS.keySet()), generalised);
  }

  @Test
  void everyDurationFieldRefusesWhatCannotWorkAndAcceptsItsBounds() {
    List<String> failures = new ArrayList<>();
    fields()
        .forEach(
            (field, planWith) -> {
              DurationLimits.Limit limit = DurationLimits.of(field);
              Duration min = limit.minimum();
              Duration max = limit.maximum();
              List<String> refused =
                  new ArrayList<>(
                      List.of(
                          "ten minutes",
                          "-5s",
                          "99999999999999999999s",
                          "999999999999d",
                          (max.toMillis() + 1) + "ms"));
              if (!min.isZero()) {
                refused.add("0s");
                refused.add((min.toMillis() - 1) + "ms");
              }
              for (String bad : refused) {
                List<PlanProblem> problems = problems(planWith.apply(bad), field);
                if (problems.isEmpty()) {
                  failures.add(field + " accepted '" + bad + "'");
                } else if (!problems.get(0).toString().contains("fix: write")
                    || !problems.get(0).toString().contains(limit.max())) {
                  failures.add(field + " gave no range for '" + bad + "': " + problems);
                }
              }
              for (String good : List.of(limit.min(), limit.max())) {
                List<PlanProblem> problems = problems(planWith.apply(good), field);
                if (!problems.isEmpty()) {
                  failures.add(field + " refused its bound '" + good + "': " + problems);
                }
              }
            });
    assertEquals(List.of(), failures);
  }

  @Test
  void aZeroTestTimeoutIsRefusedWithTheRange() {
    List<PlanProblem> problems = problems(fields().get("tests[0].timeout").apply("0s"), "tests");
    assertEquals(1, problems.size(), problems.toString());
    assertEquals(
        "tests[0].timeout: '0s' is shorter than makes sense for one smoke test after the switch"
            + " (fix: write a value from 1s to 6h)",
        problems.get(0).toString());
  }

  @Test
  void aSoakOfCenturiesIsRefusedNamingTheText() {
    List<PlanProblem> problems = problems(plan(null, null, null, "99999999999999999999s"), "soak");
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).problem().contains("'99999999999999999999s' is too long"),
        problems.toString());
    assertThrows(
        InvalidPlanException.class,
        () -> PlanValidator.validate(plan(null, null, null, "999999999999d")));
  }

  @Test
  void parseThrowsOnlyIllegalArgumentNamingTheText() {
    for (String bad :
        List.of(
            "99999999999999999999s",
            "9223372036854775807ms",
            "999999999999d",
            "106752d",
            "3651d",
            "2 minutes",
            "",
            "5")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
      assertEquals(false, Durations.valid(bad), bad);
    }
    assertEquals(Duration.ofDays(3650), Durations.parse("3650d"));
    assertEquals(Duration.ofSeconds(7), Durations.parse("007s"));
  }

  // ---------------------------------------------------------------- plans

  private static List<PlanProblem> problems(CutoverPlan plan, String fieldPrefix) {
    return PlanValidator.problems(plan.withDefaults()).stream()
        .filter(p -> p.field().startsWith(fieldPrefix))
        .toList();
  }

  private static CutoverPlan plan(
      RouterSpec router, Thresholds thresholds, GatesSpec gates, String soak) {
    return new CutoverPlan(
        "orders",
        new MigrationSpec("postgres", "sb_fwd", null, null),
        new EndpointSpec(
            "postgres", "jdbc:postgresql://127.0.0.1:5433/app", "switchback", null, null, null),
        new EndpointSpec(
            "postgres", "jdbc:postgresql://127.0.0.1:5434/app", "switchback", null, null, null),
        new MigrationAccountSpec("migrator", null, null),
        router,
        thresholds,
        gates,
        ApproverSpec.names("alice"),
        null,
        null,
        null,
        soak);
  }

  private static CutoverPlan with(CutoverPlan p, List<TestSpec> tests) {
    return new CutoverPlan(
        p.name(),
        p.migration(),
        p.source(),
        p.destination(),
        p.migrationAccount(),
        p.router(),
        p.thresholds(),
        p.gates(),
        p.approvers(),
        p.approvals(),
        tests,
        p.validation(),
        p.soak());
  }

  /** Thresholds with only {@code name} set (the rest takes the defaults). */
  static Thresholds thresholds(String name, String value) {
    RecordComponent[] components = Thresholds.class.getRecordComponents();
    Object[] args = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      args[i] = components[i].getName().equals(name) ? value : null;
    }
    try {
      return Thresholds.class.getDeclaredConstructor(types).newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static GatesSpec gates(String gate, String timeout) {
    GateSpec g = new GateSpec("approval", timeout, null);
    return new GatesSpec(
        GatesSpec.QUIESCE.equals(gate) ? g : null,
        GatesSpec.SWITCH.equals(gate) ? g : null,
        GatesSpec.FINALIZE.equals(gate) ? g : null);
  }
}
