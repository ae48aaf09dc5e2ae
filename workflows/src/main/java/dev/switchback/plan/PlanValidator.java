package dev.switchback.plan;

import io.temporal.workflow.Workflow;
import io.temporal.workflow.unsafe.WorkflowUnsafe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validates a plan (after {@link CutoverPlan#withDefaults()}) in one place, before any side effect.
 * Deterministic: the workflow calls it too, so a plan started with the {@code temporal} CLI is
 * checked the same way as one started with {@code switchback start}.
 */
public final class PlanValidator {
  public static final Set<String> PROVIDERS =
      Set.of("postgres", "mysql", "mariadb", "dts", "redis");
  public static final Set<String> ENGINES =
      Set.of("postgres", "mysql", "mariadb", "sqlserver", "oracle", "redis", "mongodb");
  public static final Set<String> ROUTERS = Set.of("manual", "webhook", "pgbouncer", "haproxy");

  /** The routers before {@link #ROUTER_PROXIES}: pgbouncer named but only a URL checked. */
  private static final Set<String> ROUTERS_BEFORE_PROXIES =
      Set.of("manual", "webhook", "pgbouncer");

  /**
   * The workflow version change id of the proxy routers' rules (pgbouncer, haproxy: instances,
   * database, backend and servers). See {@link #versioned}.
   */
  static final String ROUTER_PROXIES = "router-proxies";

  /** The workflow version change id of the https and signing key rules, see webUrlRules(). */
  static final String WEB_URL_RULES = "plan-web-url-rules";

  /**
   * The workflow version change id of signed approvals: the approver key rules here, signature
   * checks in the workflow. See {@link #versioned}.
   */
  public static final String SIGNED_APPROVALS = "signed-approvals";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  private static final Pattern SECRET_REF = PlanCredentials.REFERENCE;
  private static final Pattern IDENT = Pattern.compile("[A-Za-z0-9_.-]{1,128}");

  private PlanValidator() {}

  /** Every problem found; empty when the plan is valid. */
  public static List<PlanProblem> problems(CutoverPlan plan) {
    List<PlanProblem> out = new ArrayList<>();
    if (plan == null) {
      out.add(
          new PlanProblem(
              "(plan)", "the plan is empty", "write a plan; see plans/example-postgres.yaml"));
      return out;
    }
    if (plan.name() == null || !NAME.matcher(plan.name()).matches()) {
      out.add(
          new PlanProblem(
              "name",
              plan.name() == null ? "missing" : "'" + plan.name() + "' is not a valid plan name",
              "use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"));
    }
    migration(plan.migration(), out);
    endpoint("source", plan.source(), out);
    endpoint("destination", plan.destination(), out);
    if (plan.source() != null
        && plan.destination() != null
        && plan.source().url() != null
        && plan.source().url().equals(plan.destination().url())) {
      out.add(
          new PlanProblem(
              "destination.url",
              "source and destination are the same endpoint",
              "point destination.url at the migration's destination database"));
    }
    if (plan.migrationAccount() == null || blank(plan.migrationAccount().user())) {
      out.add(
          new PlanProblem(
              "migrationAccount.user",
              "missing",
              "name the account the migration instance writes with (its sessions are excluded"
                  + " from the session check; its writes are revoked at finalize)"));
    }
    migrationAccountIsItsOwn(plan, out);
    if (plan.migrationAccount() != null
        && plan.migrationAccount().password() != null
        && !SECRET_REF.matcher(plan.migrationAccount().password()).matches()) {
      out.add(
          new PlanProblem(
              "migrationAccount.password",
              "a literal password would be stored in workflow history",
              "write a reference: env:NAME or file:/path"));
    }
    router(plan.router(), out);
    PlanCredentials.check(plan, out);
    thresholds(plan.thresholds(), plan.migration(), out);
    gates(plan, out);
    tests(plan.tests(), plan.migration() == null ? null : plan.migration().provider(), out);
    if (plan.validation() != null) {
      String mode = plan.validation().mode();
      if (mode != null && !Set.of("full", "sample").contains(mode)) {
        out.add(
            new PlanProblem(
                "validation.mode", "'" + mode + "' is not a mode", "use full or sample"));
      }
    }
    duration("soak", plan.soak(), out);
    return out;
  }

  /**
   * Throws {@link InvalidPlanException} listing every problem.
   *
   * @return the plan with defaults filled in
   */
  public static CutoverPlan validate(CutoverPlan plan) {
    CutoverPlan full = plan == null ? null : plan.withDefaults();
    List<PlanProblem> problems = problems(full);
    if (!problems.isEmpty()) {
      throw new InvalidPlanException(problems);
    }
    return full;
  }

  private static void migration(MigrationSpec m, List<PlanProblem> out) {
    if (m == null) {
      out.add(
          new PlanProblem(
              "migration",
              "missing",
              "add migration: {provider: postgres, instance: <subscription>}"));
      return;
    }
    if (m.provider() == null || !PROVIDERS.contains(m.provider())) {
      out.add(
          new PlanProblem(
              "migration.provider",
              m.provider() == null ? "missing" : "'" + m.provider() + "' is not a provider",
              "use one of " + new java.util.TreeSet<>(PROVIDERS)));
    }
    if (blank(m.instance()) || !IDENT.matcher(m.instance()).matches()) {
      out.add(
          new PlanProblem(
              "migration.instance",
              blank(m.instance())
                  ? "missing"
                  : "'" + m.instance() + "' is not a valid instance name",
              "name the forward migration instance (subscription, channel or DTS job id)"));
    }
    if (m.reverseInstance() != null && !IDENT.matcher(m.reverseInstance()).matches()) {
      out.add(
          new PlanProblem(
              "migration.reverseInstance",
              "'" + m.reverseInstance() + "' is not a valid instance name",
              "use letters, digits, '_', '-' or '.'"));
    }
  }

  private static void endpoint(String field, EndpointSpec e, List<PlanProblem> out) {
    if (e == null) {
      out.add(
          new PlanProblem(
              field, "missing", "add " + field + ": {engine: ..., url: ..., user: ...}"));
      return;
    }
    if (e.engine() == null || !ENGINES.contains(e.engine())) {
      out.add(
          new PlanProblem(
              field + ".engine",
              e.engine() == null ? "missing" : "'" + e.engine() + "' is not an engine",
              "use one of " + new java.util.TreeSet<>(ENGINES)));
    }
    if (blank(e.url())) {
      out.add(
          new PlanProblem(
              field + ".url",
              "missing",
              "give the admin connection URL, e.g. jdbc:postgresql://host:5432/app"));
    }
    if (e.password() != null && !SECRET_REF.matcher(e.password()).matches()) {
      out.add(
          new PlanProblem(
              field + ".password",
              "a literal password would be stored in workflow history",
              "write a reference: env:NAME (an environment variable of the worker) or file:/path"));
    }
  }

  private static void router(RouterSpec r, List<PlanProblem> out) {
    if (versioned(ROUTER_PROXIES)) {
      routerWithProxies(r, out);
    } else {
      routerBeforeProxies(r, out);
    }
  }

  /** The router rules of executions started before the proxy routers; kept for replay. */
  private static void routerBeforeProxies(RouterSpec r, List<PlanProblem> out) {
    if (r.type() == null || !ROUTERS_BEFORE_PROXIES.contains(r.type())) {
      out.add(
          new PlanProblem(
              "router.type",
              "'" + r.type() + "' is not a router",
              "use one of " + new java.util.TreeSet<>(ROUTERS_BEFORE_PROXIES)));
    } else if (!"manual".equals(r.type()) && blank(r.url())) {
      out.add(
          new PlanProblem("router.url", "missing for router " + r.type(), "give the router's URL"));
    }
    if (r.url() != null && !r.url().matches("(?i)(https?|postgres(ql)?)://.+")) {
      out.add(
          new PlanProblem(
              "router.url", "'" + r.url() + "' is not a URL", "write http://host:port/path"));
    }
    secretReferences(r, out);
    if ("webhook".equals(r.type()) && !blank(r.url()) && webUrlRules()) {
      webhookUrl(r, out);
    }
    duration("router.timeout", r.timeout(), out);
  }

  private static void routerWithProxies(RouterSpec r, List<PlanProblem> out) {
    String type = r.type();
    if (type == null || !ROUTERS.contains(type)) {
      out.add(
          new PlanProblem(
              "router.type",
              "'" + type + "' is not a router",
              "use one of " + new java.util.TreeSet<>(ROUTERS)));
      return;
    }
    boolean proxy = RouterSpec.PGBOUNCER.equals(type) || RouterSpec.HAPROXY.equals(type);
    if (RouterSpec.WEBHOOK.equals(type)) {
      if (blank(r.url())) {
        out.add(
            new PlanProblem(
                "router.url",
                "missing for router webhook",
                "give the application's admin base URL, e.g. https://app:8443/switchback"));
      } else if (!r.url().matches("(?i)https?://.+")) {
        out.add(
            new PlanProblem(
                "router.url", "'" + r.url() + "' is not a URL", "write https://host:port/path"));
      } else if (webUrlRules()) {
        webhookUrl(r, out);
      }
    } else {
      notUsed(
          type,
          "router.url",
          r.url(),
          proxy ? "list the proxies under router.instances" : null,
          out);
      notUsed(type, "router.token", r.token(), null, out);
      notUsed(type, "router.signingKey", r.signingKey(), null, out);
    }
    secretReferences(r, out);
    boolean pgbouncer = RouterSpec.PGBOUNCER.equals(type);
    boolean haproxy = RouterSpec.HAPROXY.equals(type);
    if (!proxy) {
      notUsed(type, "router.instances", r.instances(), null, out);
    }
    if (!pgbouncer) {
      notUsed(type, "router.database", r.database(), null, out);
      notUsed(type, "router.password", r.password(), null, out);
    }
    if (!haproxy) {
      notUsed(type, "router.backend", r.backend(), null, out);
      notUsed(type, "router.sourceServer", r.sourceServer(), null, out);
      notUsed(type, "router.destinationServer", r.destinationServer(), null, out);
    }
    if (proxy) {
      instances(r, pgbouncer, out);
    }
    if (pgbouncer) {
      if (blank(r.database())) {
        out.add(
            new PlanProblem(
                "router.database",
                "missing for router pgbouncer",
                "name the [databases] entry the application connects to through PgBouncer"));
      } else if (!PROXY_NAME.matcher(r.database()).matches()) {
        out.add(
            new PlanProblem(
                "router.database",
                "'" + r.database() + "' is not a PgBouncer database name",
                "use letters, digits, '_', '-' or '.' (the entry's name in [databases])"));
      }
      if (r.password() != null && !SECRET_REF.matcher(r.password()).matches()) {
        out.add(
            new PlanProblem(
                "router.password",
                "a literal password would be stored in workflow history",
                "write env:NAME or file:/path"));
      }
    }
    if (haproxy) {
      proxyName("router.backend", r.backend(), "the backend that holds both servers", out);
      proxyName("router.sourceServer", r.sourceServer(), "the source's server in the backend", out);
      proxyName(
          "router.destinationServer",
          r.destinationServer(),
          "the destination's server in the backend",
          out);
      if (r.sourceServer() != null && r.sourceServer().equals(r.destinationServer())) {
        out.add(
            new PlanProblem(
                "router.destinationServer",
                "the same server as router.sourceServer",
                "name the backend's server that reaches the destination"));
      }
    }
    duration("router.timeout", r.timeout(), out);
  }

  private static final Pattern PROXY_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,63}");

  private static void proxyName(String field, String value, String what, List<PlanProblem> out) {
    if (blank(value)) {
      out.add(new PlanProblem(field, "missing for router haproxy", "name " + what));
    } else if (!PROXY_NAME.matcher(value).matches()) {
      out.add(
          new PlanProblem(
              field,
              "'" + value + "' is not an HAProxy name",
              "use letters, digits, '_', '-', '.' or ':' as in haproxy.cfg"));
    }
  }

  private static void notUsed(
      String type, String field, Object value, String instead, List<PlanProblem> out) {
    if (value != null) {
      out.add(
          new PlanProblem(
              field,
              "not used by router " + type,
              instead == null ? "remove it" : "remove it and " + instead));
    }
  }

  private static void instances(RouterSpec r, boolean pgbouncer, List<PlanProblem> out) {
    if (r.instances() == null || r.instances().isEmpty()) {
      out.add(
          new PlanProblem(
              "router.instances",
              "missing for router " + r.type(),
              pgbouncer
                  ? "list each PgBouncer: - {url: postgres://admin@host:6432/pgbouncer,"
                      + " databasesFile: /etc/pgbouncer/pgbouncer.ini}"
                  : "list each HAProxy's runtime API: - {url: tcp://host:9999} or"
                      + " - {url: unix:///run/haproxy/admin.sock}"));
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < r.instances().size(); i++) {
      String field = "router.instances[" + i + "]";
      RouterInstance in = r.instances().get(i);
      if (in == null || blank(in.url())) {
        out.add(new PlanProblem(field + ".url", "missing", "give the proxy's admin address"));
        continue;
      }
      if (!seen.add(in.url())) {
        out.add(
            new PlanProblem(
                field + ".url", "'" + in.url() + "' is listed twice", "list each proxy once"));
      }
      PlanProblem bad =
          pgbouncer
              ? ProxyUrls.pgbouncerProblem(field + ".url", in.url())
              : ProxyUrls.haproxyProblem(field + ".url", in.url());
      if (bad != null) {
        out.add(bad);
      }
      if (pgbouncer) {
        if (blank(in.databasesFile())) {
          out.add(
              new PlanProblem(
                  field + ".databasesFile",
                  "missing for router pgbouncer",
                  "give the path (as the worker sees it) of the file with this PgBouncer's"
                      + " [databases] entry for "
                      + (r.database() == null ? "router.database" : r.database())
                      + ": pgbouncer.ini or a file it %include-s"));
        } else if (!in.databasesFile().startsWith("/")) {
          out.add(
              new PlanProblem(
                  field + ".databasesFile",
                  "'" + in.databasesFile() + "' is not an absolute path",
                  "write the whole path, e.g. /etc/pgbouncer/pgbouncer.ini"));
        }
      } else if (in.databasesFile() != null) {
        out.add(
            new PlanProblem(field + ".databasesFile", "not used by router haproxy", "remove it"));
      }
    }
  }

  private static void secretReferences(RouterSpec r, List<PlanProblem> out) {
    if (r.token() != null && !SECRET_REF.matcher(r.token()).matches()) {
      out.add(
          new PlanProblem(
              "router.token",
              "a literal token would be stored in workflow history",
              "write env:NAME or file:/path"));
    }
    if (r.signingKey() != null && !SECRET_REF.matcher(r.signingKey()).matches()) {
      out.add(
          new PlanProblem(
              "router.signingKey",
              "a literal key would be stored in workflow history",
              "write env:NAME or file:/path"));
    }
  }

  /**
   * Whether the {@link WebUrls} rules and the webhook signing key apply. They came after cutovers
   * were already running; the workflow checks its plan when it starts, so a cutover started before
   * them would, on replay after a worker upgrade, fail where it once went on (non-determinism, and
   * a stuck rollback path). Inside a workflow they apply to executions started with them (a version
   * marker on the workflow's first task); everywhere else (the CLI, tests) always. Workflow code
   * calls the validator once, at the start of {@code run}, never from an update validator or a
   * query, where a version marker may not be written.
   */
  private static boolean webUrlRules() {
    return versioned(WEB_URL_RULES);
  }

  /**
   * Whether rules that came with workflow version change {@code changeId} apply: inside a workflow
   * to executions started with them, everywhere else (the CLI, preflight, tests) always. See {@link
   * #webUrlRules}.
   */
  private static boolean versioned(String changeId) {
    return !WorkflowUnsafe.isWorkflowThread()
        || Workflow.getVersion(changeId, Workflow.DEFAULT_VERSION, 1) >= 1;
  }

  /**
   * Across a network the application can only trust a request it can verify: https, and a signed
   * request (docs/webhook-router.md); a bearer token alone can be replayed by whoever saw it.
   */
  private static void webhookUrl(RouterSpec r, List<PlanProblem> out) {
    PlanProblem unsafe = WebUrls.problem("router.url", r.url());
    if (unsafe != null) {
      out.add(unsafe);
      return;
    }
    String host = java.net.URI.create(r.url()).getHost();
    if (r.signingKey() == null && !WebUrls.isLoopback(host)) {
      out.add(
          new PlanProblem(
              "router.signingKey",
              "missing for a webhook router at " + host + ": its requests could not be verified",
              "add signingKey: env:NAME or file:/path (at least 32 random characters) and check"
                  + " the signature in the application as docs/webhook-router.md shows"));
    }
  }

  private static void thresholds(Thresholds t, MigrationSpec m, List<PlanProblem> out) {
    duration("thresholds.maxLatencyToStart", t.maxLatencyToStart(), out);
    duration("thresholds.catchUpTimeout", t.catchUpTimeout(), out);
    boolean drain = duration("thresholds.drainTimeout", t.drainTimeout(), out);
    boolean window = duration("thresholds.stabilityWindow", t.stabilityWindow(), out);
    duration("thresholds.stabilityTolerance", t.stabilityTolerance(), out);
    duration("thresholds.sessionCheckTimeout", t.sessionCheckTimeout(), out);
    duration("thresholds.instanceTimeout", t.instanceTimeout(), out);
    if (drain && window && m != null && !m.provesDrainExactly()) {
      // The window starts only when latency first reads 0, some polls after the drain's deadline
      // started, and a spike restarts it: a deadline of one window can never be met.
      Duration needed = Durations.parse(t.stabilityWindow()).multipliedBy(2);
      if (Durations.parse(t.drainTimeout()).compareTo(needed) < 0) {
        out.add(
            new PlanProblem(
                "thresholds.drainTimeout",
                t.drainTimeout()
                    + " cannot hold the "
                    + t.stabilityWindow()
                    + " stability window "
                    + m.provider()
                    + " proves the drain with: the window starts only once latency reads 0 after"
                    + " the fence, and a spike restarts it",
                "set thresholds.drainTimeout to at least "
                    + Durations.human(needed.toMillis())
                    + " (twice thresholds.stabilityWindow; leave it out for the default, "
                    + Thresholds.defaults(m).drainTimeout()
                    + "), or shorten thresholds.stabilityWindow"));
      }
    }
  }

  private static void gates(CutoverPlan plan, List<PlanProblem> out) {
    boolean anyApproval = false;
    for (String name : List.of(GatesSpec.QUIESCE, GatesSpec.SWITCH, GatesSpec.FINALIZE)) {
      GateSpec g = plan.gates().gate(name);
      String f = "gates." + name;
      if (!Set.of("auto", "approval").contains(g.mode())) {
        out.add(
            new PlanProblem(
                f + ".mode", "'" + g.mode() + "' is not a mode", "use approval or auto"));
      }
      anyApproval |= "approval".equals(g.mode());
      if (g.timeout() != null) {
        duration(f + ".timeout", g.timeout(), out);
      }
      if (!Set.of("abort", "rollback").contains(g.onTimeout())) {
        out.add(
            new PlanProblem(
                f + ".onTimeout",
                "'" + g.onTimeout() + "' is not an action",
                "use abort or rollback"));
      } else if ("abort".equals(g.onTimeout()) && !GatesSpec.QUIESCE.equals(name)) {
        out.add(
            new PlanProblem(
                f + ".onTimeout",
                "abort is only possible before writes stop",
                "use rollback (writes are already stopped at the " + name + " gate)"));
      }
    }
    ApproverRules.check(plan, anyApproval, versioned(SIGNED_APPROVALS), out);
  }

  private static void tests(List<TestSpec> tests, String provider, List<PlanProblem> out) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < tests.size(); i++) {
      TestSpec t = tests.get(i);
      String f = "tests[" + i + "]";
      if (blank(t.name()) || !names.add(t.name())) {
        out.add(
            new PlanProblem(f + ".name", "missing or not unique", "give each test its own name"));
      }
      if ("sql".equals(t.type())) {
        if (blank(t.sql())) {
          out.add(new PlanProblem(f + ".sql", "missing", "write the statement to run"));
        }
      } else if ("http".equals(t.type())) {
        if (blank(t.url()) || !t.url().matches("(?i)https?://.+")) {
          out.add(
              new PlanProblem(
                  f + ".url", "missing or not an http(s) URL", "write https://host:port/path"));
        } else if (webUrlRules()) {
          PlanProblem unsafe = WebUrls.problem(f + ".url", t.url());
          if (unsafe != null) {
            out.add(unsafe);
          }
        }
      } else if (TestSpec.DTS_DATA_CHECK.equals(t.type())) {
        if (!"dts".equals(provider)) {
          out.add(
              new PlanProblem(
                  f + ".type",
                  "dts-data-check reads DTS's own data verification, and migration.provider is "
                      + provider,
                  "use it only with migration.provider: dts; compare the data with validation:"));
        }
      } else {
        out.add(
            new PlanProblem(
                f + ".type",
                "'" + t.type() + "' is not a test type",
                "use sql, http or dts-data-check"));
      }
      if (!Set.of("source", "destination").contains(t.target())) {
        out.add(
            new PlanProblem(
                f + ".target", "'" + t.target() + "' is not a side", "use destination or source"));
      }
      duration(f + ".timeout", t.timeout(), out);
    }
  }

  /**
   * Checks a duration field against its {@link DurationLimits limits}.
   *
   * @return whether the value is a duration within them
   */
  private static boolean duration(String field, String value, List<PlanProblem> out) {
    DurationLimits.Limit limit = DurationLimits.of(field);
    String range = "write a value from " + limit.min() + " to " + limit.max();
    Duration d;
    try {
      d = Durations.parse(value);
    } catch (IllegalArgumentException e) {
      out.add(
          new PlanProblem(
              field,
              value == null ? "missing" : e.getMessage(),
              "write a number and a unit, e.g. 500ms, 5s, 2m, 1h, 1d; " + range));
      return false;
    }
    if (d.compareTo(limit.minimum()) < 0 || d.compareTo(limit.maximum()) > 0) {
      out.add(
          new PlanProblem(
              field,
              "'"
                  + value
                  + "' is "
                  + (d.compareTo(limit.minimum()) < 0 ? "shorter" : "longer")
                  + " than makes sense for "
                  + limit.meaning(),
              range));
      return false;
    }
    return true;
  }

  /**
   * The migration account must be an account of its own (the seed recommends a dedicated one): the
   * session check leaves its sessions out, so as an application account the application's writers
   * would be invisible to it, and finalize revokes its writes, which as an application account or
   * as Switchback's admin account would stop the application or lock Switchback out.
   */
  private static void migrationAccountIsItsOwn(CutoverPlan plan, List<PlanProblem> out) {
    MigrationAccountSpec account = plan.migrationAccount();
    if (account == null || blank(account.user())) {
      return;
    }
    String user = account.user().toLowerCase(Locale.ROOT);
    for (String side : List.of("source", "destination")) {
      EndpointSpec e = "source".equals(side) ? plan.source() : plan.destination();
      if (e == null) {
        continue;
      }
      List<String> apps = e.applicationAccounts() == null ? List.of() : e.applicationAccounts();
      for (int i = 0; i < apps.size(); i++) {
        // Account names compare without case, as the session check compares them.
        if (apps.get(i) != null && user.equals(apps.get(i).toLowerCase(Locale.ROOT))) {
          out.add(
              new PlanProblem(
                  "migrationAccount.user",
                  "'"
                      + account.user()
                      + "' is also an application account ("
                      + side
                      + ".applicationAccounts["
                      + i
                      + "]): the session check would not see the application's sessions, and"
                      + " finalize would revoke the application's writes",
                  "give the migration instance a dedicated account and name that one here"));
        }
      }
      if (account.revoke() && e.user() != null && user.equals(e.user().toLowerCase(Locale.ROOT))) {
        out.add(
            new PlanProblem(
                "migrationAccount.user",
                "'"
                    + account.user()
                    + "' is also Switchback's admin account ("
                    + side
                    + ".user): finalize would revoke the admin account's writes",
                "give the migration instance a dedicated account, or, where it must be the admin"
                    + " account (PostgreSQL before 16 creates subscriptions only as a superuser),"
                    + " set migrationAccount.revokeAtFinalize: false"));
      }
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
