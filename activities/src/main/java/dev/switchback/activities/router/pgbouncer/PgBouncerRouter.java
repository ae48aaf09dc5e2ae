package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.activities.support.Columns;
import dev.switchback.activities.support.Secrets;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * PgBouncer in front of the application, driven through its admin console (docs/routers.md):
 * quiesce is {@code PAUSE db} on every PgBouncer (clients' queries are held, not failed), point
 * rewrites that database's entry (host, port, dbname) in each PgBouncer's databases file and asks
 * for {@code RELOAD}, resume is {@code RESUME db}. Several PgBouncers (behind a load balancer) are
 * one router: all of them paused before quiesce returns, all of them pointed and resumed.
 *
 * <p>Every call is idempotent: it reads PgBouncer's state first ({@code SHOW DATABASES}) and after,
 * and checks that PgBouncer did what was asked, since the workflow's first invariant (never two
 * writable targets) rests on it. An unreachable PgBouncer is retried by Temporal; an answer that
 * retrying cannot change (a missing entry, a refused login, a PAUSE held by an open transaction)
 * fails non-retryable, naming the plan field and the fix.
 */
public final class PgBouncerRouter implements TrafficRouter {
  public static final String NAME = "pgbouncer";

  private final Secrets secrets;

  public PgBouncerRouter(Secrets secrets) {
    this.secrets = secrets;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RouterState quiesce(String cutoverId, CutoverPlan plan) {
    Settings s = Settings.of(plan, secrets);
    String detail = new PauseAll(s).run();
    View v = view(s);
    return new RouterState(v.target, true, detail + "; " + v.where());
  }

  @Override
  public RouterState point(String cutoverId, CutoverPlan plan, Side target) {
    Settings s = Settings.of(plan, secrets);
    Upstream want = s.upstream(target);
    // Every file is read first: a missing entry stops the call before any file is changed.
    for (Settings.Instance i : s.instances()) {
      edit(s, i, text -> entryChecked(s, i, text));
    }
    List<String> rewritten = new ArrayList<>();
    for (Settings.Instance i : s.instances()) {
      if (edit(s, i, text -> DatabasesFile.point(text, s.database(), want, fileName(i)))) {
        rewritten.add(i.databasesFile().toString());
      }
    }
    boolean paused = false;
    for (Settings.Instance i : s.instances()) {
      try (AdminConsole c = s.console(i)) {
        c.command("RELOAD", null);
        Columns row = row(c, s);
        Upstream now = Upstream.of(row);
        if (!now.sameAs(want)) {
          throw ApplicationFailure.newNonRetryableFailure(
              i.where()
                  + " still sends "
                  + s.db()
                  + " to "
                  + now
                  + " after RELOAD, though "
                  + i.field()
                  + ".databasesFile "
                  + i.databasesFile()
                  + " now says "
                  + want
                  + ". PgBouncer does not read that file (its configuration is "
                  + c.config("conffile")
                  + ": %include the file there, or name the file it reads) or refused it on"
                  + " RELOAD (see PgBouncer's log)",
              FailureTypes.ROUTER);
        }
        paused |= paused(row);
      }
    }
    return new RouterState(
        target,
        paused,
        s.db()
            + " now goes to the "
            + target.word()
            + " ("
            + want
            + ") on "
            + s.instances().size()
            + " PgBouncer(s)"
            + (rewritten.isEmpty()
                ? " (the databases files already said so)"
                : "; rewrote " + String.join(", ", rewritten))
            + "; RELOAD done"
            + (paused ? "; still paused" : ""));
  }

  @Override
  public RouterState resume(String cutoverId, CutoverPlan plan) {
    Settings s = Settings.of(plan, secrets);
    long waiting = 0;
    double longestSeconds = 0;
    List<String> wasRunning = new ArrayList<>();
    for (Settings.Instance i : s.instances()) {
      try (AdminConsole c = s.console(i)) {
        row(c, s);
        // How long the held clients have waited, read before they are let go.
        for (Columns pool : c.show("POOLS")) {
          if (s.database().equals(pool.string("database"))) {
            waiting += number(pool, "cl_waiting");
            double wait = number(pool, "maxwait") + number(pool, "maxwait_us") / 1_000_000.0;
            longestSeconds = Math.max(longestSeconds, wait);
          }
        }
        if (!c.command("RESUME " + AdminConsole.quoted(s.database()), "is not paused")) {
          wasRunning.add(i.where());
        }
        if (paused(row(c, s))) {
          throw ApplicationFailure.newNonRetryableFailure(
              i.where() + " answered RESUME " + s.db() + " but SHOW DATABASES still says paused=1",
              FailureTypes.ROUTER);
        }
      }
    }
    View v = view(s);
    return new RouterState(
        v.target,
        false,
        "resumed "
            + s.db()
            + " on "
            + s.instances().size()
            + " PgBouncer(s)"
            + (wasRunning.isEmpty() ? "" : " (not paused on " + String.join(", ", wasRunning) + ")")
            + "; clients held until now: "
            + waiting
            + " waiting, the longest for "
            + String.format(Locale.ROOT, "%.3f", longestSeconds)
            + " s (PgBouncer's SHOW POOLS maxwait); "
            + v.where(),
        Math.round(longestSeconds * 1000));
  }

  @Override
  public RouterState state(String cutoverId, CutoverPlan plan) {
    Settings s = Settings.of(plan, secrets);
    View v = view(s);
    return new RouterState(
        v.target,
        v.paused,
        s.db()
            + " on "
            + s.instances().size()
            + " PgBouncer(s) "
            + v.where()
            + (v.paused ? ", paused on " + String.join(", ", v.pausedOn) : ", not paused"));
  }

  @Override
  public List<PreflightCheck> preflight(String cutoverId, CutoverPlan plan) {
    Settings s;
    try {
      s = Settings.of(plan, secrets);
    } catch (ApplicationFailure e) {
      return List.of(new PreflightCheck("pgbouncer", false, e.getOriginalMessage()));
    }
    return new PgBouncerPreflight(s).checks();
  }

  /** Where every PgBouncer sends the database, and whether it is paused there. */
  private record View(Side target, Upstream upstream, boolean paused, List<String> pausedOn) {
    String where() {
      return "goes to "
          + (target == null ? "neither source nor destination" : "the " + target.word())
          + " ("
          + upstream
          + ")";
    }
  }

  /**
   * Reads every PgBouncer's entry for the database.
   *
   * @throws ApplicationFailure (non-retryable) naming which PgBouncer says what when they disagree
   */
  private static View view(Settings s) {
    Map<String, Upstream> byInstance = new LinkedHashMap<>();
    List<String> pausedOn = new ArrayList<>();
    for (Settings.Instance i : s.instances()) {
      try (AdminConsole c = s.console(i)) {
        Columns row = row(c, s);
        byInstance.put(i.where(), Upstream.of(row));
        if (paused(row)) {
          pausedOn.add(i.where());
        }
      }
    }
    Upstream first = byInstance.values().iterator().next();
    if (byInstance.values().stream().anyMatch(u -> !u.sameAs(first))) {
      List<String> each = new ArrayList<>();
      byInstance.forEach(
          (where, u) -> {
            Side side = s.side(u);
            each.add(
                where
                    + " sends it to "
                    + (side == null ? "" : "the " + side.word() + " ")
                    + "("
                    + u
                    + ")");
          });
      throw ApplicationFailure.newNonRetryableFailure(
          "the PgBouncer instances disagree on "
              + s.db()
              + ": "
              + String.join("; ", each)
              + ". Point them alike: fix their databases files and RELOAD, or let the cutover's"
              + " point step do it",
          FailureTypes.ROUTER);
    }
    return new View(s.side(first), first, !pausedOn.isEmpty(), pausedOn);
  }

  /** The database's row in {@code SHOW DATABASES}; a PgBouncer without it fails non-retryable. */
  static Columns row(AdminConsole c, Settings s) {
    Columns row = c.database(s.database());
    if (row == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          c.where
              + " has no database "
              + s.db()
              + " (SHOW DATABASES): router.database must name the [databases] entry the"
              + " application connects to; add the entry to the file PgBouncer reads and RELOAD",
          FailureTypes.INVALID_PLAN);
    }
    return row;
  }

  static boolean paused(Columns row) {
    return number(row, "paused") != 0;
  }

  private static long number(Columns row, String column) {
    Long n = row.number(column);
    return n == null ? 0 : n;
  }

  private static String fileName(Settings.Instance i) {
    return i.field() + ".databasesFile " + i.databasesFile();
  }

  /** Reads the file's entry; unchanged text, so nothing is written. */
  private static String entryChecked(Settings s, Settings.Instance i, String text) {
    DatabasesFile.entry(text, s.database(), fileName(i));
    return text;
  }

  /**
   * Applies {@code edit} to the instance's databases file under its lock.
   *
   * @return whether the file changed
   */
  private static boolean edit(Settings s, Settings.Instance i, UnaryOperator<String> edit) {
    try {
      return DatabasesFile.update(i.databasesFile(), edit);
    } catch (DatabasesFile.Problem e) {
      throw ApplicationFailure.newNonRetryableFailure(
          e.permission()
              ? fileName(i) + ": " + e.getMessage()
              : "router.database " + s.db() + ": " + e.getMessage(),
          e.permission() ? FailureTypes.PERMISSION : FailureTypes.INVALID_PLAN);
    } catch (NoSuchFileException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          fileName(i)
              + " does not exist on the worker; give the path (as the worker sees it) of the file"
              + " that holds this PgBouncer's [databases] entry for "
              + s.db(),
          FailureTypes.INVALID_PLAN);
    } catch (AccessDeniedException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          fileName(i)
              + ": the worker (user "
              + System.getProperty("user.name")
              + ") may not write "
              + e.getFile()
              + "; it needs to write the file and create files in its directory (a temporary"
              + " file renamed over it): run the worker as the file's owner or beside PgBouncer"
              + " with the directory shared (docs/routers.md)",
          FailureTypes.PERMISSION);
    } catch (IOException e) {
      throw new RouterUnavailableException(fileName(i) + ": " + e, e);
    }
  }
}
