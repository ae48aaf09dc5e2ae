package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.ProxyUrls;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The plan's {@code router} fields for PgBouncer, checked before any call: the plan rules check
 * them in the workflow too, but an activity never trusts that it runs with a checked plan.
 *
 * @param password the console password, resolved; null for trust or peer authentication
 */
record Settings(
    String database,
    List<Instance> instances,
    String password,
    Duration timeout,
    CutoverPlan plan) {

  /**
   * One PgBouncer.
   *
   * @param where how messages name it: {@code PgBouncer host:port (router.instances[i])}
   */
  record Instance(int index, String url, Path databasesFile, String where) {
    String field() {
      return "router.instances[" + index + "]";
    }
  }

  static Settings of(CutoverPlan plan, Secrets secrets) {
    RouterSpec spec = plan.router();
    if (spec == null || spec.database() == null || spec.database().isBlank()) {
      throw invalid(
          "router.database: missing for router pgbouncer; name the [databases] entry the"
              + " application connects to through PgBouncer");
    }
    if (spec.instances() == null || spec.instances().isEmpty()) {
      throw invalid(
          "router.instances: missing for router pgbouncer; list each PgBouncer: - {url:"
              + " postgres://admin@host:6432/pgbouncer, databasesFile: /etc/pgbouncer/pgbouncer.ini}");
    }
    List<Instance> instances = new ArrayList<>();
    for (int i = 0; i < spec.instances().size(); i++) {
      RouterInstance in = spec.instances().get(i);
      String field = "router.instances[" + i + "]";
      PlanProblem bad =
          in == null || in.url() == null
              ? new PlanProblem(field + ".url", "missing", "give the admin console's URL")
              : ProxyUrls.pgbouncerProblem(field + ".url", in.url());
      if (bad != null) {
        throw invalid(bad.toString());
      }
      if (in.databasesFile() == null || !in.databasesFile().startsWith("/")) {
        throw invalid(
            field
                + ".databasesFile: give the absolute path (as the worker sees it) of the file"
                + " with this PgBouncer's [databases] entry for "
                + spec.database());
      }
      URI uri = URI.create(in.url());
      int port = uri.getPort() == -1 ? ProxyUrls.PGBOUNCER_PORT : uri.getPort();
      instances.add(
          new Instance(
              i,
              in.url(),
              Path.of(in.databasesFile()),
              "PgBouncer " + uri.getHost() + ":" + port + " (" + field + ")"));
    }
    Duration timeout;
    try {
      timeout = Durations.parse(spec.timeout() == null ? "10s" : spec.timeout());
    } catch (IllegalArgumentException e) {
      throw invalid("router.timeout: " + e.getMessage());
    }
    return new Settings(
        spec.database(),
        List.copyOf(instances),
        secrets.resolve("router.password", spec.password()),
        timeout,
        plan);
  }

  /** Opens the instance's admin console; commands may wait up to {@code readTimeout}. */
  AdminConsole console(Instance instance, Duration readTimeout) {
    return AdminConsole.open(instance.where(), instance.url(), password, readTimeout);
  }

  /** Opens the instance's admin console for commands that answer at once. */
  AdminConsole console(Instance instance) {
    return console(instance, timeout.plusSeconds(30));
  }

  /** Where the plan's {@code side} is, as a PgBouncer entry names it. */
  Upstream upstream(Side side) {
    String field = side.word() + ".url";
    if (plan.endpoint(side) == null) {
      throw invalid(field + ": missing");
    }
    try {
      return Upstream.ofJdbcUrl(plan.endpoint(side).url());
    } catch (IllegalArgumentException e) {
      throw invalid(
          field + ": " + e.getMessage() + " (the pgbouncer router writes it into the entry)");
    }
  }

  /** The side {@code upstream} is, or null when it is neither. */
  Side side(Upstream upstream) {
    for (Side s : Side.values()) {
      if (plan.endpoint(s) != null) {
        try {
          if (Upstream.ofJdbcUrl(plan.endpoint(s).url()).sameAs(upstream)) {
            return s;
          }
        } catch (IllegalArgumentException e) {
          // a URL the router cannot read matches nothing
        }
      }
    }
    return null;
  }

  /** {@code 'orders'}, as messages name the database. */
  String db() {
    return "'" + database + "'";
  }

  static ApplicationFailure invalid(String message) {
    return ApplicationFailure.newNonRetryableFailure(message, FailureTypes.INVALID_PLAN);
  }
}
