package dev.switchback.activities.support;

import dev.switchback.activities.FailureTypes;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.PlanProblem;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Resolves secret references ({@code env:NAME}, {@code file:/path}) inside activities, so that
 * secret values never enter workflow history (DESIGN.md invariant 4), and only those the worker's
 * {@link SecretScope} allows. Remembers what it resolved, so that messages which may carry a value
 * (a driver's exception, the JDK's header check) are {@link #redact redacted} before they leave the
 * activity.
 */
public final class Secrets {
  /** Shorter values are not redacted: they would blank out ordinary words of every message. */
  static final int MIN_REDACTED_LENGTH = 4;

  static final String REDACTED = "[redacted]";
  private final Function<String, String> env;
  private final SecretScope scope;
  private final Set<String> resolved = ConcurrentHashMap.newKeySet();

  /** The worker's secrets: its environment, in the scope its environment sets. */
  public Secrets() {
    this(System.getenv(), SecretScope.fromEnvironment(System.getenv()));
  }

  /** Secrets from {@code env} within {@code scope}. */
  public Secrets(Map<String, String> env, SecretScope scope) {
    this.env = env::get;
    this.scope = scope;
  }

  /**
   * For tests: an environment of their own, which is all a plan can reach by {@code env:}; files
   * are not scoped.
   */
  public Secrets(Map<String, String> env) {
    this.env = env::get;
    this.scope = null;
  }

  /**
   * The secret's value, or null for a null reference.
   *
   * @param field the plan field, named in the error when the reference does not resolve
   * @throws ApplicationFailure (non-retryable, {@code INVALID_PLAN}) when the reference is outside
   *     the scope or does not resolve
   */
  public String resolve(String field, String reference) {
    if (reference == null) {
      return null;
    }
    String refusal = scope == null ? null : scope.refusal(reference);
    if (refusal != null) {
      throw ApplicationFailure.newNonRetryableFailure(
          field + ": " + refusal, FailureTypes.INVALID_PLAN);
    }
    String value = read(field, reference);
    if (value.length() >= MIN_REDACTED_LENGTH) {
      resolved.add(value);
    }
    return value;
  }

  private String read(String field, String reference) {
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
        // The real path is the one the scope checked.
        return Files.readString(scope == null ? path : path.toRealPath()).strip();
      } catch (IOException e) {
        throw ApplicationFailure.newNonRetryableFailure(
            field
                + ": cannot read secret file "
                + path
                + " on the worker ("
                + e.getClass().getSimpleName()
                + ")",
            FailureTypes.INVALID_PLAN);
      }
    }
    throw ApplicationFailure.newNonRetryableFailure(
        field + " must be a reference (env:NAME or file:/path), not a value",
        FailureTypes.INVALID_PLAN);
  }

  /**
   * Every secret of {@code plan} outside the scope, bound to endpoints it is not sent to, or with a
   * value its use cannot carry; empty when the plan may run. Reads the in-scope secrets only.
   */
  public List<PlanProblem> problems(CutoverPlan plan) {
    List<PlanProblem> out = new ArrayList<>();
    for (SecretUses.Use use : SecretUses.of(plan)) {
      String refusal = scope == null ? null : scope.refusal(use.reference());
      if (refusal != null) {
        out.add(new PlanProblem(use.field(), refusal, null));
        continue;
      }
      Set<String> bound = scope == null ? null : scope.binding(use.reference());
      if (bound != null) {
        if (use.endpoints() == null) {
          out.add(
              new PlanProblem(
                  use.field(),
                  use.reference()
                      + " is bound to "
                      + bound
                      + ", and where "
                      + use.sentTo()
                      + " points cannot be read from its URL",
                  "write a URL with host and port"));
          continue;
        }
        List<String> other =
            use.endpoints().stream().filter(e -> !bound.contains(e)).sorted().toList();
        if (!other.isEmpty()) {
          out.add(
              new PlanProblem(
                  use.field(),
                  use.reference()
                      + " may be sent only to "
                      + bound
                      + ", and this plan sends it to "
                      + String.join(", ", other)
                      + " ("
                      + use.sentTo()
                      + ")",
                  "point the plan at the endpoint the secret belongs to, or use that endpoint's"
                      + " own secret (bindings are set by "
                      + SecretScope.BINDINGS_VARIABLE
                      + " on the worker)"));
          continue;
        }
      }
      if (use.header()) {
        String value;
        try {
          value = resolve(use.field(), use.reference());
        } catch (ApplicationFailure e) {
          out.add(new PlanProblem(use.field(), e.getOriginalMessage(), null));
          continue;
        }
        if (value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
          out.add(
              new PlanProblem(
                  use.field(),
                  "the secret's value holds a line break or another control character, which an"
                      + " HTTP header cannot carry",
                  "store the token without it (a single line) on the worker"));
        }
      }
    }
    return out;
  }

  /** {@code message} with every value resolved so far replaced by {@value #REDACTED}. */
  public String redact(String message) {
    if (message == null || resolved.isEmpty()) {
      return message;
    }
    String out = message;
    // Longest first, so a value containing another is replaced whole.
    List<String> values = new ArrayList<>(resolved);
    values.sort(Comparator.comparingInt(String::length).reversed());
    for (String v : values) {
      out = out.replace(v, REDACTED);
      // A multi-line value may be quoted line by line or with its breaks escaped.
      out = out.replace(v.replace("\n", "\\n").replace("\r", "\\r"), REDACTED);
      for (String line : v.split("\\R")) {
        if (line.strip().length() >= MIN_REDACTED_LENGTH) {
          out = out.replace(line.strip(), REDACTED);
        }
      }
    }
    return out;
  }

  /**
   * {@code e} itself when no message of its causes holds a value resolved so far; otherwise a copy
   * whose messages are {@link #redact(String) redacted}, as {@link ApplicationFailure}s that keep
   * the type (the original class name for other exceptions, as Temporal would name them), the
   * retryability, the details and the stack traces. Temporal serializes every cause's message into
   * history, so each one is replaced.
   */
  public RuntimeException redact(RuntimeException e) {
    if (e instanceof TemporalFailure && !(e instanceof ApplicationFailure)) {
      return e; // cancellation and the like: the SDK acts on their class
    }
    boolean carries = false;
    for (Throwable c = e; c != null && !carries; c = c.getCause() == c ? null : c.getCause()) {
      carries =
          carriesSecret(
              c instanceof ApplicationFailure a ? a.getOriginalMessage() : c.getMessage());
    }
    return carries ? copy(e, 0) : e;
  }

  private ApplicationFailure copy(Throwable t, int depth) {
    Throwable cause = t.getCause() == null || t.getCause() == t || depth > 20 ? null : t.getCause();
    ApplicationFailure.Builder b =
        t instanceof ApplicationFailure a
            ? ApplicationFailure.newBuilder(a).setMessage(redact(a.getOriginalMessage()))
            : ApplicationFailure.newBuilder()
                .setType(t.getClass().getName())
                .setMessage(redact(t.getMessage()));
    ApplicationFailure out = b.setCause(cause == null ? null : copy(cause, depth + 1)).build();
    out.setStackTrace(t.getStackTrace());
    return out;
  }

  /** Whether {@code message} holds a value resolved so far. */
  public boolean carriesSecret(String message) {
    return message != null && !message.equals(redact(message));
  }
}
