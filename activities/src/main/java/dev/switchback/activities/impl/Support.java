package dev.switchback.activities.impl;

import dev.switchback.activities.FailureTypes;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.Thresholds;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Small helpers the activity implementations share: thresholds, renderings, failures. */
final class Support {
  /** The seed's rhythm for watching an instance: a few hundred milliseconds between polls. */
  static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(50);

  private Support() {}

  /**
   * The threshold {@code field} of {@code plan}, defaults filled in; a bad value is a plan error.
   */
  static Duration threshold(CutoverPlan plan, String field, Function<Thresholds, String> get) {
    Thresholds t =
        plan.thresholds() == null
            ? Thresholds.defaults(plan.migration())
            : plan.thresholds().withDefaults(plan.migration());
    String value = get.apply(t);
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "thresholds." + field + ": " + e.getMessage(), FailureTypes.INVALID_PLAN);
    }
  }

  static String ms(long millis) {
    return Durations.human(millis);
  }

  static String ms(Duration d) {
    return Durations.human(d.toMillis());
  }

  /** One line about an instance: {@code RUNNING, incremental, latency 1.2s, position 0/3000060}. */
  static String state(InstanceState s) {
    if (s == null) {
      return "nothing (the instance was not described yet)";
    }
    StringBuilder b = new StringBuilder(String.valueOf(s.status()));
    b.append(s.incremental() ? ", incremental" : ", not incremental");
    b.append(", latency ").append(s.latencyMs() == null ? "unknown" : ms(s.latencyMs()));
    if (s.lagBytes() != null) {
      b.append(", lag ").append(s.lagBytes()).append(" bytes");
    }
    if (s.position() != null) {
      b.append(", position ").append(s.position());
    }
    if (s.detail() != null && !s.detail().isBlank()) {
      b.append(" (").append(s.detail()).append(')');
    }
    return b.toString();
  }

  /** One session per line: id, user, client, state, so an operator can find and end it. */
  static String sessions(List<SessionInfo> sessions) {
    return sessions.stream()
        .map(
            s ->
                "id "
                    + s.id()
                    + " user "
                    + s.user()
                    + " client "
                    + s.client()
                    + (s.application() == null || s.application().isBlank()
                        ? ""
                        : " application " + s.application())
                    + " state "
                    + s.state()
                    + (s.detail() == null || s.detail().isBlank() ? "" : " (" + s.detail() + ")"))
        .collect(Collectors.joining("; "));
  }

  static ApplicationFailure nonRetryable(String type, String message) {
    return ApplicationFailure.newNonRetryableFailure(message, type);
  }
}
