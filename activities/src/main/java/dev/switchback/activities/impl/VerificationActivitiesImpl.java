package dev.switchback.activities.impl;

import dev.switchback.activities.VerificationActivities;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.CappedBody;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.Settler;
import dev.switchback.activities.validation.ValidationProgress;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.Side;
import dev.switchback.messages.values.TestReport;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.ValidationReport;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.WebUrls;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The post-switch checks: the plan's smoke tests and data validation. A failing test is a result,
 * never an exception, because the workflow decides on the rollback from the report. The exception
 * is a transient failure (an endpoint or API that did not answer, DTS throttling): it is thrown so
 * Temporal retries, rather than rolling a good cutover back.
 */
public final class VerificationActivitiesImpl implements VerificationActivities {
  private static final int MAX_TEXT = 300;

  private final Registry registry;
  private final Connections connections;
  private final HttpClient http;
  private final DataValidator validator;
  private final WaitClock clock;

  public VerificationActivitiesImpl(Registry registry, Connections connections) {
    this(
        registry,
        connections,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            // A redirect could lead the smoke test anywhere the worker can reach: the plan names
            // the URL to test, and a 3xx is reported with where it points.
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        new DataValidator(),
        WaitClock.SYSTEM);
  }

  public VerificationActivitiesImpl(
      Registry registry,
      Connections connections,
      HttpClient http,
      DataValidator validator,
      WaitClock clock) {
    this.registry = registry;
    this.connections = connections;
    this.http = http;
    this.validator = validator;
    this.clock = clock;
  }

  @Override
  public TestReport runTests(String cutoverId, CutoverPlan plan) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    List<TestResult> results = new ArrayList<>();
    List<TestSpec> tests = plan.tests() == null ? List.of() : plan.tests();
    for (TestSpec raw : tests) {
      TestSpec t = raw.withDefaults();
      context.heartbeat("running smoke test " + t.name());
      results.add(run(cutoverId, plan, t));
    }
    return new TestReport(results.stream().allMatch(TestResult::passed), List.copyOf(results));
  }

  private TestResult run(String cutoverId, CutoverPlan plan, TestSpec t) {
    long start = clock.millis();
    Result r;
    try {
      Duration timeout = Durations.parse(t.timeout());
      r =
          switch (t.type()) {
            case "http" -> http(t, timeout);
            case TestSpec.DTS_DATA_CHECK -> dataCheck(cutoverId, plan);
            default -> sql(plan, t, timeout);
          };
    } catch (ApplicationFailure e) {
      if (!e.isNonRetryable()) {
        throw e; // throttled or unreachable: Temporal retries the tests
      }
      r = new Result(false, e.getOriginalMessage());
    } catch (SQLException e) {
      r =
          new Result(
              false,
              "failed on the "
                  + t.target()
                  + ": "
                  + e.getMessage()
                  + (e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")"));
    } catch (IOException e) {
      r =
          new Result(
              false,
              "GET "
                  + t.url()
                  + " failed: "
                  + e.getClass().getSimpleName()
                  + (e.getMessage() == null ? "" : " " + CappedBody.excerpt(e.getMessage())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      r = new Result(false, "interrupted");
    } catch (RuntimeException e) {
      r = new Result(false, "could not run: " + e.getMessage());
    }
    // A driver's or the HTTP client's message may quote what it was given.
    return new TestResult(
        t.name(), r.passed(), connections.secrets().redact(r.detail()), clock.millis() - start);
  }

  private record Result(boolean passed, String detail) {}

  private Result sql(CutoverPlan plan, TestSpec t, Duration timeout) throws SQLException {
    Side side = "source".equals(t.target()) ? Side.SOURCE : Side.DESTINATION;
    try (Connection c = connections.connection(side.word(), plan.endpoint(side));
        Statement st = c.createStatement()) {
      st.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
      boolean hasResultSet = st.execute(t.sql());
      boolean hasRow = false;
      String first = null;
      if (hasResultSet) {
        try (ResultSet rs = st.getResultSet()) {
          if (rs.next()) {
            hasRow = true;
            first = rs.getString(1);
          }
        }
      }
      String seen =
          hasResultSet
              ? (hasRow ? "first value '" + abbreviate(first) + "'" : "no rows")
              : st.getUpdateCount() + " row(s) changed";
      if (t.expect() == null) {
        return new Result(true, "ran on the " + side.word() + "; " + seen);
      }
      if (!hasRow) {
        return new Result(
            false, "expected '" + t.expect() + "' but the statement returned " + seen);
      }
      if (t.expect().equals(first)) {
        return new Result(true, "first value '" + abbreviate(first) + "' as expected");
      }
      return new Result(false, "expected '" + t.expect() + "', got '" + abbreviate(first) + "'");
    }
  }

  /** The migration service's own verification (DTS data verification of the forward job). */
  private Result dataCheck(String cutoverId, CutoverPlan plan) {
    ValidationReport report =
        registry
            .provider(plan.migration().provider())
            .dataCheck(new MigrationContext(cutoverId, plan, connections), List.of());
    return new Result(report.passed(), report.detail());
  }

  private Result http(TestSpec t, Duration timeout) throws IOException, InterruptedException {
    PlanProblem unsafe = WebUrls.problem("url", t.url());
    if (unsafe != null) {
      return new Result(false, unsafe.toString());
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(t.url())).timeout(timeout).GET().build();
    HttpResponse<CappedBody.Body> response = CappedBody.send(http, request, timeout);
    int expected = t.expectStatus() == null ? 200 : t.expectStatus();
    CappedBody.Body body = response.body();
    int status = response.statusCode();
    if (status != expected) {
      String redirect =
          status >= 300 && status < 400
              ? "; redirects are not followed, point the test at "
                  + CappedBody.excerpt(response.headers().firstValue("Location").orElse("?"))
              : "";
      return new Result(
          false,
          "HTTP " + status + ", expected " + expected + redirect + "; body: " + body.excerpt());
    }
    if (t.expect() != null && !body.text().contains(t.expect())) {
      return new Result(
          false,
          "HTTP "
              + status
              + " but "
              + (body.truncated() ? "the first " + CappedBody.CAP + " bytes of " : "")
              + "the body do"
              + (body.truncated() ? "" : "es")
              + " not contain '"
              + t.expect()
              + "'; body: "
              + body.excerpt());
    }
    return new Result(
        true,
        "HTTP " + status + (t.expect() == null ? "" : ", body contains '" + t.expect() + "'"));
  }

  /**
   * Hashes key ranges on both sides (see {@link DataValidator}); its progress is the heartbeat
   * detail, so a retry after a worker restart skips the ranges already compared. It runs after the
   * switch, while the application writes to the destination and the reverse instance carries the
   * writes to the source: differing rows are rechecked once the source has caught up (see {@link
   * Settler}), so rows in flight are not taken for differences.
   */
  @Override
  public ValidationReport validateData(String cutoverId, CutoverPlan plan) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    ValidationProgress resume = context.getHeartbeatDetails(ValidationProgress.class).orElse(null);
    return validator.validate(
        connections, plan, resume, context::heartbeat, reverseInstance(cutoverId, plan));
  }

  /** The reverse instance as a settler, or null when no provider of that name is registered. */
  private Settler reverseInstance(String cutoverId, CutoverPlan plan) {
    MigrationProvider provider;
    try {
      provider = registry.provider(plan.migration().provider());
    } catch (RuntimeException e) {
      return null;
    }
    MigrationContext ctx = new MigrationContext(cutoverId, plan, connections);
    return new Settler() {
      @Override
      public String position() {
        return provider.writerPosition(ctx, Direction.REVERSE);
      }

      @Override
      public boolean reached(String position) {
        return provider.drained(ctx, Direction.REVERSE, position);
      }
    };
  }

  private static String abbreviate(String text) {
    if (text == null) {
      return "null";
    }
    String s = text.strip();
    return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT) + "...";
  }
}
