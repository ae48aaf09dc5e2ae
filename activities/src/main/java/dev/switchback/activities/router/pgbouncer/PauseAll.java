package dev.switchback.activities.router.pgbouncer;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.Columns;
import dev.switchback.plan.Durations;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The quiesce: {@code PAUSE} of the database on every PgBouncer at once, bounded by {@code
 * router.timeout}. PgBouncer answers a PAUSE once the database's server connections are released
 * (the transactions in flight finished) and holds every new query meanwhile and after. A PAUSE that
 * does not answer in time is waiting for a transaction left open: then the database is resumed on
 * every PgBouncer this call paused, so its clients are not held for nothing, and the call fails
 * naming what held it.
 */
final class PauseAll {
  /** Server connection states in which PgBouncer's PAUSE still waits for the connection. */
  private static final Set<String> BUSY =
      Set.of("active", "tested", "active_cancel", "being_canceled");

  private static final long POLL_MS = 100;

  private final Settings settings;

  PauseAll(Settings settings) {
    this.settings = settings;
  }

  /** The pause on one PgBouncer, run on a thread of its own. */
  private final class Pause {
    final Settings.Instance instance;
    volatile AdminConsole console;
    volatile boolean pausedByThisCall;
    volatile boolean alreadyPaused;
    volatile boolean done;
    volatile Upstream upstream;

    Pause(Settings.Instance instance) {
      this.instance = instance;
    }

    void run(long deadlineNanos) throws InterruptedException {
      long left = Math.max(0, deadlineNanos - System.nanoTime());
      try (AdminConsole c =
          settings.console(instance, java.time.Duration.ofNanos(left).plusSeconds(10))) {
        console = c;
        Columns row = PgBouncerRouter.row(c, settings);
        upstream = Upstream.of(row);
        if (PgBouncerRouter.paused(row)) {
          // Paused already (an earlier attempt of this step, or by hand): PAUSE again would
          // not wait, so wait here for what the first PAUSE waits for.
          alreadyPaused = true;
          while (!busy(c).isEmpty()) {
            Thread.sleep(POLL_MS);
          }
        } else {
          // Set first: once sent, the pause holds even if the answer never comes.
          pausedByThisCall = true;
          c.command("PAUSE " + AdminConsole.quoted(settings.database()), null);
        }
        done = true;
      }
    }
  }

  /** Pauses the database everywhere; returns a line for the timeline. */
  String run() {
    long started = System.nanoTime();
    long deadline = started + settings.timeout().toNanos();
    List<Pause> pauses = settings.instances().stream().map(Pause::new).toList();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            pauses.size(),
            r -> {
              Thread t = new Thread(r, "switchback-pgbouncer-pause");
              t.setDaemon(true);
              return t;
            });
    RuntimeException failure = null;
    boolean late = false;
    try {
      List<Future<?>> running = new ArrayList<>();
      for (Pause p : pauses) {
        running.add(
            pool.submit(
                () -> {
                  p.run(deadline);
                  return null;
                }));
      }
      for (Future<?> f : running) {
        try {
          f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          late = true;
          break;
        } catch (ExecutionException e) {
          failure = unwrap(e.getCause());
          break;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failure = new RouterUnavailableException("the quiesce was interrupted", e);
          break;
        }
      }
    } finally {
      if (late || failure != null) {
        pauses.forEach(p -> stop(p));
      }
      pool.shutdownNow();
      awaitQuietly(pool, late || failure != null ? pauses : List.of());
    }
    if (late || failure != null) {
      String holders = late ? holders(pauses) : "";
      String resumed = resumeWhatThisCallPaused(pauses);
      if (late) {
        throw ApplicationFailure.newNonRetryableFailure(
            "router.database "
                + settings.db()
                + ": PAUSE did not finish within router.timeout "
                + Durations.human(settings.timeout().toMillis())
                + ": "
                + holders
                + " "
                + resumed
                + " Fix: end that transaction (commit or roll it back, or end its backend with"
                + " pg_terminate_backend on that server) or raise router.timeout above the"
                + " longest transaction the application keeps open.",
            FailureTypes.ROUTER);
      }
      throw withNote(failure, resumed);
    }
    List<String> fresh = new ArrayList<>();
    List<String> already = new ArrayList<>();
    for (Pause p : pauses) {
      (p.alreadyPaused ? already : fresh).add(p.instance.where());
    }
    return "paused "
        + settings.db()
        + " on "
        + pauses.size()
        + " PgBouncer(s) in "
        + Durations.human((System.nanoTime() - started) / 1_000_000)
        + (already.isEmpty() ? "" : " (already paused on " + String.join(", ", already) + ")")
        + ": the transactions in flight finished; new queries are held by PgBouncer until"
        + " resume";
  }

  /** The server connections PAUSE still waits for, on one console. */
  private List<Columns> busy(AdminConsole c) {
    return c.show("SERVERS").stream()
        .filter(r -> settings.database().equals(r.string("database")))
        .filter(r -> BUSY.contains(r.string("state")))
        .toList();
  }

  /** What each PgBouncer that did not finish is waiting for, read on a new connection. */
  private String holders(List<Pause> pauses) {
    List<String> out = new ArrayList<>();
    for (Pause p : pauses) {
      if (p.done) {
        continue;
      }
      try (AdminConsole c = settings.console(p.instance)) {
        List<Columns> busy = busy(c);
        List<Columns> clients = c.show("CLIENTS");
        if (busy.isEmpty()) {
          out.add(
              p.instance.where()
                  + " had no busy server connection any more when looked at (the transaction"
                  + " ended just at the deadline)");
          continue;
        }
        List<String> each = new ArrayList<>();
        for (Columns s : busy) {
          each.add(describe(s, clients));
        }
        out.add(
            p.instance.where()
                + " still waits for "
                + busy.size()
                + " server connection(s) in a transaction: "
                + String.join("; ", each));
      } catch (RuntimeException e) {
        out.add(p.instance.where() + " did not answer in time (" + message(e) + ")");
      }
    }
    return String.join(". ", out) + ".";
  }

  /**
   * One busy server connection of {@code SHOW SERVERS}, with its client from {@code SHOW CLIENTS}.
   */
  private static String describe(Columns server, List<Columns> clients) {
    String link = server.string("link");
    String client =
        clients.stream()
            .filter(c -> link != null && !link.isEmpty() && link.equals(c.string("ptr")))
            .map(c -> c.string("addr") + ":" + c.number("port"))
            .findFirst()
            .orElse(null);
    String app = server.string("application_name");
    return "backend pid "
        + server.number("remote_pid")
        + " on "
        + server.string("addr")
        + ":"
        + server.number("port")
        + " (user "
        + server.string("user")
        + (app == null || app.isEmpty() ? "" : ", application_name '" + app + "'")
        + (client == null ? "" : ", client " + client)
        + ", state "
        + server.string("state")
        + " since "
        + server.string("request_time")
        + ")";
  }

  /** Resumes the database where this call paused it; says where, and where it could not. */
  private String resumeWhatThisCallPaused(List<Pause> pauses) {
    List<String> resumed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (Pause p : pauses) {
      if (!p.pausedByThisCall) {
        continue;
      }
      try (AdminConsole c = settings.console(p.instance)) {
        c.command("RESUME " + AdminConsole.quoted(settings.database()), "is not paused");
        resumed.add(p.instance.where());
      } catch (RuntimeException e) {
        failed.add(p.instance.where() + " (" + message(e) + ")");
      }
    }
    String out =
        resumed.isEmpty()
            ? "Nothing was paused by this call."
            : "Resumed "
                + settings.db()
                + " on "
                + String.join(", ", resumed)
                + ", so its clients"
                + " are not held.";
    if (!failed.isEmpty()) {
      out +=
          " Could not resume it on "
              + String.join(", ", failed)
              + ": run RESUME "
              + AdminConsole.quoted(settings.database())
              + " on that admin console if the rollback does not.";
    }
    return out;
  }

  private static void stop(Pause p) {
    AdminConsole c = p.console;
    if (c != null && !p.done) {
      c.abort();
    }
  }

  /**
   * Waits for the pause threads to end, dropping again any console a late thread opened meanwhile,
   * so that what they paused is known before it is resumed.
   */
  private static void awaitQuietly(ExecutorService pool, List<Pause> stopping) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try {
      while (!pool.awaitTermination(200, TimeUnit.MILLISECONDS) && System.nanoTime() < until) {
        stopping.forEach(PauseAll::stop);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static RuntimeException unwrap(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof InterruptedException) {
      return new RouterUnavailableException("the quiesce was interrupted", t);
    }
    return new RouterUnavailableException(String.valueOf(t), t);
  }

  /** {@code failure} with {@code note} added, as retryable as it was. */
  private static RuntimeException withNote(RuntimeException failure, String note) {
    if (failure instanceof ApplicationFailure a) {
      String message = a.getOriginalMessage() + ". " + note;
      return a.isNonRetryable()
          ? ApplicationFailure.newNonRetryableFailure(message, a.getType())
          : ApplicationFailure.newFailure(message, a.getType());
    }
    return new RouterUnavailableException(failure.getMessage() + ". " + note, failure);
  }

  static String message(Throwable e) {
    return e instanceof ApplicationFailure a
        ? a.getOriginalMessage()
        : String.valueOf(e.getMessage());
  }
}
