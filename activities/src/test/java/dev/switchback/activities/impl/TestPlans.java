package dev.switchback.activities.impl;

import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.Thresholds;
import dev.switchback.plan.ValidationSpec;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.function.Executable;

/** Plans and stub options the activity tests share. */
public final class TestPlans {
  private TestPlans() {}

  static final ActivityOptions OPTIONS =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setHeartbeatTimeout(Duration.ofSeconds(10))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
          .build();

  /** A valid plan whose provider and engines are named "postgres" (fakes take that name). */
  static CutoverPlan plan(Thresholds thresholds) {
    return plan(thresholds, RouterSpec.manual(), true);
  }

  /** A valid plan with {@code router}; its provider and engines are named "postgres". */
  public static CutoverPlan plan(Thresholds thresholds, RouterSpec router, boolean revoke) {
    return new CutoverPlan(
            "orders",
            new MigrationSpec("postgres", "mig", null, null),
            endpoint("jdbc:postgresql://127.0.0.1:5433/app"),
            endpoint("jdbc:postgresql://127.0.0.1:5434/app"),
            new MigrationAccountSpec("migrator", null, revoke),
            router,
            thresholds,
            null,
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            null,
            null,
            null)
        .withDefaults();
  }

  static EndpointSpec endpoint(String url) {
    return new EndpointSpec("postgres", url, "switchback", null, null, null);
  }

  /** Plans for the verification tests against real servers. */
  static CutoverPlan verificationPlan(
      String engine,
      String sourceUrl,
      String destinationUrl,
      String user,
      List<TestSpec> tests,
      List<String> tables) {
    return new CutoverPlan(
            "verify",
            new MigrationSpec("postgres", "mig", null, null),
            new EndpointSpec(engine, sourceUrl, user, null, null, null),
            new EndpointSpec(engine, destinationUrl, user, null, null, null),
            new MigrationAccountSpec("migrator", null, true),
            RouterSpec.manual(),
            null,
            null,
            ApproverSpec.names("alice"),
            CutoverPlan.UNSIGNED,
            tests,
            tables == null ? null : new ValidationSpec(tables, null, null),
            null)
        .withDefaults();
  }

  static Thresholds thresholds(
      String maxLatency,
      String catchUp,
      String drain,
      String window,
      String tolerance,
      String sessions,
      String instance) {
    return new Thresholds(maxLatency, catchUp, drain, window, tolerance, sessions, instance);
  }

  /** The ApplicationFailure an activity call ended with. */
  static ApplicationFailure failure(Executable call) {
    ActivityFailure f = Assertions.assertThrows(ActivityFailure.class, call);
    return Assertions.assertInstanceOf(ApplicationFailure.class, f.getCause());
  }
}
