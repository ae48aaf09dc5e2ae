package dev.switchback.plan;

import java.util.List;
import java.util.stream.Collectors;

/** A plan failed validation; nothing has been done. */
public class InvalidPlanException extends RuntimeException {
  private final List<PlanProblem> problems;

  public InvalidPlanException(List<PlanProblem> problems) {
    super(
        "invalid plan, nothing was done:\n"
            + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  public List<PlanProblem> problems() {
    return problems;
  }
}
