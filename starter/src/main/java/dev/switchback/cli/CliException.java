package dev.switchback.cli;

import dev.switchback.plan.PlanProblem;
import java.util.List;

/** A command ends with {@code exitCode} and a message for the operator (and problems, if any). */
public final class CliException extends RuntimeException {
  /** Bad input: the plan, an argument, a refused request. Nothing was done. */
  public static final int BAD_INPUT = 2;

  /** The command could not do its work (server unreachable, cutover failed). */
  public static final int FAILURE = 1;

  private final int exitCode;
  private final List<PlanProblem> problems;

  public CliException(int exitCode, String message) {
    this(exitCode, message, List.of(), null);
  }

  public CliException(int exitCode, String message, Throwable cause) {
    this(exitCode, message, List.of(), cause);
  }

  public CliException(int exitCode, String message, List<PlanProblem> problems, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
    this.problems = List.copyOf(problems);
  }

  public static CliException badInput(String message) {
    return new CliException(BAD_INPUT, message);
  }

  public int exitCode() {
    return exitCode;
  }

  public List<PlanProblem> problems() {
    return problems;
  }
}
