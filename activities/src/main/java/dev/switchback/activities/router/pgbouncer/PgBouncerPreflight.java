package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.support.Columns;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.Thresholds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a production cutover through PgBouncer needs from each PgBouncer, checked before anything
 * changes: an admin console user, an entry PgBouncer really reads from the file the router
 * rewrites, a pool mode in which PAUSE waits for transactions rather than clients, and a {@code
 * query_wait_timeout} the plan's hold fits in.
 */
final class PgBouncerPreflight {
  private final Settings settings;

  PgBouncerPreflight(Settings settings) {
    this.settings = settings;
  }

  List<PreflightCheck> checks() {
    List<PreflightCheck> out = new ArrayList<>();
    for (Settings.Instance i : settings.instances()) {
      out.addAll(instance(i));
    }
    return out;
  }

  private List<PreflightCheck> instance(Settings.Instance i) {
    String name = i.where(); // preflight puts "router: " before it
    List<PreflightCheck> out = new ArrayList<>();
    try (AdminConsole c = settings.console(i)) {
      List<Columns> config = c.show("CONFIG");
      out.add(admin(c, config).withCheck(name + ": admin console"));
      Columns row = c.database(settings.database());
      out.add(entry(i, row, c).withCheck(name + ": databases file"));
      out.add(poolMode(c, row, config).withCheck(name + ": pool mode"));
      out.add(queryWait(config).withCheck(name + ": query_wait_timeout"));
    } catch (RuntimeException e) {
      out.add(new PreflightCheck(name, false, PauseAll.message(e)));
    }
    return out;
  }

  private static PreflightCheck admin(AdminConsole c, List<Columns> config) {
    String admins = value(config, "admin_users");
    boolean ok =
        admins != null
            && Arrays.stream(admins.split(",")).map(String::strip).anyMatch(c.user::equals);
    return new PreflightCheck(
        "",
        ok,
        ok
            ? "reachable as '" + c.user + "', listed in admin_users (PAUSE, RESUME, RELOAD allowed)"
            : "reachable as '"
                + c.user
                + "', who is not in admin_users ("
                + (admins == null || admins.isEmpty() ? "empty" : admins)
                + "): a stats_users user can read SHOW but not PAUSE, RESUME or RELOAD. Add '"
                + c.user
                + "' to admin_users in pgbouncer.ini and RELOAD, or name an admin user in the"
                + " instance's url");
  }

  /**
   * The entry the router would rewrite is the one PgBouncer uses: a file PgBouncer does not read
   * would be rewritten for nothing, and the cutover would go on with the application where it was.
   */
  private PreflightCheck entry(Settings.Instance i, Columns row, AdminConsole c) {
    String file = i.field() + ".databasesFile " + i.databasesFile();
    DatabasesFile.Entry entry;
    Path real;
    try {
      real = i.databasesFile().toRealPath();
      entry = DatabasesFile.entry(DatabasesFile.read(real), settings.database(), file);
    } catch (IOException e) {
      return fail(file + " cannot be read on the worker (" + e + ")");
    } catch (DatabasesFile.Problem e) {
      return fail(e.getMessage());
    }
    if (!Files.isWritable(real) || !Files.isWritable(real.getParent())) {
      return fail(
          "the worker (user "
              + System.getProperty("user.name")
              + ") cannot write "
              + real
              + " and create files in "
              + real.getParent()
              + " (the rewrite renames a temporary file over it): run the worker as the file's"
              + " owner, or share the directory with the worker (docs/routers.md)");
    }
    String line = "line " + entry.line() + " of " + real;
    if (row == null) {
      return fail(
          "PgBouncer has no database "
              + settings.db()
              + " though "
              + line
              + " defines it: PgBouncer does not read that file (its configuration is "
              + c.config("conffile")
              + ": %include it there) or has not been reloaded since the entry was added");
    }
    Upstream used = Upstream.of(row);
    if (!used.sameAs(entry.upstream())) {
      return fail(
          line
              + " says "
              + entry.upstream()
              + " but PgBouncer uses "
              + used
              + ": PgBouncer does not read that file (its configuration is "
              + c.config("conffile")
              + ") or it was edited without RELOAD, and rewriting it would change nothing"
              + " PgBouncer uses. Name the file PgBouncer reads, or RELOAD after checking it");
    }
    Side side = settings.side(used);
    if (side == null) {
      return fail(
          settings.db()
              + " goes to "
              + used
              + ", which is neither source.url ("
              + settings.upstream(Side.SOURCE)
              + ") nor destination.url ("
              + settings.upstream(Side.DESTINATION)
              + "). The router writes the plan's host, port and database into the entry, so"
              + " PgBouncer must reach the databases by the names the plan uses: write the"
              + " entry as source.url says, or source.url as the entry says");
    }
    return new PreflightCheck(
        "",
        true,
        line
            + " defines "
            + settings.db()
            + " as PgBouncer uses it: the "
            + side.word()
            + " ("
            + used
            + "); the worker may rewrite it");
  }

  /**
   * PAUSE waits until the database's server connections are released: after each transaction in
   * transaction (and statement) pooling, only when the client disconnects in session pooling.
   */
  private PreflightCheck poolMode(AdminConsole c, Columns row, List<Columns> config) {
    String dbMode = row == null ? null : row.string("pool_mode");
    String mode = dbMode == null || dbMode.isEmpty() ? value(config, "pool_mode") : dbMode;
    String where =
        dbMode == null || dbMode.isEmpty() ? "pool_mode in [pgbouncer]" : "the entry's pool_mode";
    if ("session".equalsIgnoreCase(mode)) {
      return fail(
          settings.db()
              + " is pooled by session ("
              + where
              + "): PAUSE would wait until every client disconnects, so the quiesce would hold"
              + " clients until router.timeout and fail. Use pool_mode=transaction for this"
              + " entry (or globally) if the application keeps no session state across"
              + " transactions (named prepared statements, SET, advisory locks, LISTEN)");
    }
    List<String> sessionUsers =
        c.show("USERS").stream()
            .filter(u -> "session".equalsIgnoreCase(u.string("pool_mode")))
            .map(u -> u.string("name"))
            .toList();
    if (!sessionUsers.isEmpty()) {
      return PreflightCheck.warning(
          "",
          settings.db()
              + " is pooled by "
              + mode
              + ", but users "
              + sessionUsers
              + " have pool_mode=session in [users]: if they connect to "
              + settings.db()
              + ", PAUSE waits until they disconnect");
    }
    return new PreflightCheck(
        "",
        true,
        mode + " pooling (" + where + "): PAUSE waits only for the transactions in flight");
  }

  /**
   * Clients are held from quiesce to resume; PgBouncer ends the wait of one held longer than {@code
   * query_wait_timeout} with an error. The hold is seconds when all goes well, but the plan allows
   * its steps longer, and an approval at the switch gate is waited for while clients are held.
   */
  private PreflightCheck queryWait(List<Columns> config) {
    String text = value(config, "query_wait_timeout");
    double seconds;
    try {
      seconds = Double.parseDouble(text);
    } catch (NumberFormatException | NullPointerException e) {
      return PreflightCheck.warning("", "SHOW CONFIG gives query_wait_timeout as '" + text + "'");
    }
    if (seconds == 0) {
      return new PreflightCheck(
          "", true, "query_wait_timeout is 0: held clients wait without a limit");
    }
    Duration qwt = Duration.ofMillis((long) (seconds * 1000));
    Duration timeout = settings.timeout();
    String have = "query_wait_timeout is " + human(qwt);
    if (qwt.compareTo(timeout) < 0) {
      return fail(
          have
              + ", shorter than router.timeout "
              + human(timeout)
              + ": a PAUSE the plan lets wait that long would have the clients it holds fail"
              + " first. Raise query_wait_timeout above router.timeout (seconds; 0 = no limit), or"
              + " lower router.timeout");
    }
    CutoverPlan plan = settings.plan().withDefaults();
    Thresholds t = plan.thresholds();
    Duration steps =
        timeout
            .multipliedBy(3)
            .plus(Durations.parse(t.sessionCheckTimeout()))
            .plus(Durations.parse(t.drainTimeout()))
            .plus(Durations.parse(t.instanceTimeout()).multipliedBy(2));
    String stepsText =
        "the steps between quiesce and resume may take up to "
            + human(steps)
            + " by the plan's limits (3 x router.timeout, thresholds.sessionCheckTimeout,"
            + " drainTimeout, 2 x instanceTimeout for the pause and the reverse start)";
    GateSpec gate = plan.gates().gate(GatesSpec.SWITCH);
    boolean approval = gate != null && !gate.auto();
    Duration gateWait = approval && gate.timeout() != null ? Durations.parse(gate.timeout()) : null;
    if (approval && (gateWait == null || qwt.compareTo(gateWait) < 0)) {
      return PreflightCheck.warning(
          "",
          have
              + ", and clients stay held while the switch gate waits for an approval (gates.switch"
              + " timeout "
              + (gateWait == null ? "none" : human(gateWait))
              + "): a client held longer gets an error from PgBouncer. Approve quickly, set"
              + " gates.switch.mode: auto, or raise query_wait_timeout to at least "
              + (gateWait == null ? "0 (no limit)" : seconds(gateWait.plus(steps)) + " s"));
    }
    Duration bound = approval ? steps.plus(gateWait) : steps;
    if (qwt.compareTo(bound) < 0) {
      return PreflightCheck.warning(
          "",
          have
              + "; "
              + stepsText
              + ", and a client held longer gets an error from PgBouncer (a cutover that goes"
              + " well holds them for seconds). To rule it out, raise query_wait_timeout to "
              + seconds(bound)
              + " s or lower those limits");
    }
    return new PreflightCheck(
        "", true, have + ", longer than " + stepsText + (approval ? " plus the switch gate" : ""));
  }

  private static String value(List<Columns> config, String key) {
    return config.stream()
        .filter(r -> key.equals(r.string("key")))
        .map(r -> r.string("value"))
        .findFirst()
        .orElse(null);
  }

  private static String human(Duration d) {
    return Durations.human(d.toMillis());
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%d", (d.toMillis() + 999) / 1000);
  }

  private static PreflightCheck fail(String detail) {
    return new PreflightCheck("", false, detail);
  }
}
