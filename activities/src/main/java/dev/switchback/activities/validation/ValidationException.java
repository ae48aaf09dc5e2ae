package dev.switchback.activities.validation;

/**
 * A validation could not finish for a reason a retry may fix (a connection lost, a query that
 * failed). Bad input is an {@code ApplicationFailure} of type {@code InvalidPlan} instead.
 */
public class ValidationException extends RuntimeException {
  public ValidationException(String message, Throwable cause) {
    super(message, cause);
  }
}
