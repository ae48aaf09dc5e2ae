package dev.switchback.plan;

/**
 * One thing wrong with a plan: the field (a path such as {@code source.url}), what is wrong, and
 * how to fix it.
 */
public record PlanProblem(String field, String problem, String fix) {
  @Override
  public String toString() {
    return field + ": " + problem + (fix == null ? "" : " (fix: " + fix + ")");
  }
}
