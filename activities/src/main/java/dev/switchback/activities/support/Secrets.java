package dev.switchback.activities.support;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves secret references ({@code env:NAME}, {@code file:/path}) inside activities, so that
 * secret values never enter workflow history (DESIGN.md invariant 4).
 */
public final class Secrets {
  private final Function<String, String> env;

  public Secrets() {
    this(System::getenv);
  }

  /** For tests: an environment of their own. */
  public Secrets(Map<String, String> env) {
    this(env::get);
  }

  private Secrets(Function<String, String> env) {
    this.env = env;
  }

  /**
   * The secret's value, or null for a null reference.
   *
   * @param field the plan field, named in the error when the reference does not resolve
   */
  public String resolve(String field, String reference) {
    if (reference == null) {
      return null;
    }
    if (reference.startsWith("env:")) {
      String name = reference.substring(4);
      String value = env.apply(name);
      if (value == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            field
                + ": environment variable "
                + name
                + " is not set on the worker; set it there"
                + " and restart the worker",
            FailureTypes.INVALID_PLAN);
      }
      return value;
    }
    if (reference.startsWith("file:")) {
      Path path = Path.of(reference.substring(5));
      try {
        return Files.readString(path).strip();
      } catch (IOException e) {
        throw ApplicationFailure.newNonRetryableFailure(
            field + ": cannot read secret file " + path + " on the worker (" + e.getMessage() + ")",
            FailureTypes.INVALID_PLAN);
      }
    }
    throw ApplicationFailure.newNonRetryableFailure(
        field + " must be a reference (env:NAME or file:/path), not a value",
        FailureTypes.INVALID_PLAN);
  }
}
