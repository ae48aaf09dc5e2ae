package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.plan.Durations;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;

/**
 * Redis (6.2+) as a {@link DatabaseEngine}.
 *
 * <p>Sessions come from {@code CLIENT LIST}: Switchback's own connections (named {@code
 * switchback*}), the migration account's and replication links are excluded. A session is a writer
 * when it is in MULTI, waits on a write command (blocked, or held by the fence), or ran a write
 * command (by the server's own {@code COMMAND} flags) within the sampling window; write command
 * counters ({@code INFO commandstats}) over the window catch writers that connected and left
 * between the two samples. Under this worker's own fence a write that ran before the fence does not
 * make a writer: one that runs now moves the counters or is held.
 *
 * <p>The fence is {@code CLIENT PAUSE <period> WRITE}: application writes (and EVAL, PUBLISH) wait,
 * reads go on, replicas attached to this server keep streaming. The pause times out by itself, so
 * this engine renews it (see {@link FenceLease}) until {@link #unfenceWrites}; a worker that dies
 * stops renewing and the fence ends within one period ({@code options.fencePeriod}, default 10s).
 * The pause is server-wide: a migrator writing over a normal connection (not as a replica) is
 * paused too. A replica's own link to its master is paused as well (checked on Redis 7.0): a fence
 * on a server that is a replica holds back what its master sends.
 *
 * <p>Application clients in MULTI when the fence goes up are closed, which discards their queued
 * commands: their EXEC would only be held by the pause (and refused at the unfence by default),
 * while the session check counted them as writers all along, so the quiescence check could not
 * pass. PostgreSQL and MySQL fences end open write transactions the same way.
 *
 * <p>Write commands held by the pause run when it ends. So that a write the fence held is never
 * acknowledged on a server the application has left, {@link #unfenceWrites} closes the connections
 * whose write is still held before it unpauses: their clients see an error, not a success.
 */
public final class RedisEngine implements DatabaseEngine, AutoCloseable {
  /** The failure type when a fence may have lapsed: retrying cannot make the quiesce whole. */
  public static final String FENCE_LAPSED = dev.switchback.activities.FailureTypes.FENCE_LAPSED;

  static final Duration DEFAULT_FENCE_PERIOD = Duration.ofSeconds(10);
  static final Duration DEFAULT_SESSION_WINDOW = Duration.ofSeconds(1);
  private static final String PROBE_KEY = RedisEndpoint.OWN_NAME + ":fence-probe";
  private static final int PROBE_TIMEOUT_MS = 1_000;
  // Time enough to list the held writes, close them and unpause, with the pause still in force.
  private static final Duration UNFENCE_MARGIN = Duration.ofMillis(500);
  private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);

  private final ScheduledExecutorService renewer;
  private final Map<String, FenceLease> leases = new ConcurrentHashMap<>();
  private final Map<String, FenceLease.Lapse> pendingLapses = new ConcurrentHashMap<>();
  private final WriteCommands writeCommands = new WriteCommands();

  public RedisEngine() {
    this.renewer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "switchback-redis-fence");
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public String name() {
    return "redis";
  }

  // ---------------------------------------------------------------- sessions

  @Override
  public Sessions listSessions(EngineContext ctx) {
    RedisEndpoint e = endpoint(ctx);
    Duration window = sessionWindow(ctx);
    surfaceLapse(e);
    Set<String> applicationAccounts = new HashSet<>(ctx.endpoint().applicationAccounts());
    String migrationAccount = ctx.migrationAccount();
    return RedisCalls.on(
        e,
        "sessions",
        j -> {
          Set<String> writes = writeCommands.of(e.address(), j);
          boolean replica = "slave".equals(info(j, "replication").get("role"));
          FenceLease fence = leases.get(e.address());
          String runBefore = info(j, "server").get("run_id");
          long writesBefore = writeCalls(j, writes);
          long started = System.nanoTime();
          sleep(window);
          List<ClientEntry> clients = ClientEntry.parse(j.clientList());
          long writesAfter = writeCalls(j, writes);
          String runAfter = info(j, "server").get("run_id");
          long windowMs = (System.nanoTime() - started) / 1_000_000;
          // CLIENT LIST counts idle time in whole seconds.
          long recentSeconds = Math.max(1, (windowMs + 999) / 1000);
          // Under this worker's own fence, held the whole window (renewed in time, no lapse, no
          // restart), a write cannot run without being held first: a client that ran one a
          // moment ago ran it before the fence, and is a writer only if writes still ran. Without
          // this the check waits for idle times, counted in whole seconds, to age out: one to two
          // seconds of write outage.
          boolean fencedThroughout =
              fence != null
                  && fence == leases.get(e.address())
                  && fence.surelyInForceFor(Duration.ZERO)
                  && runBefore != null
                  && runBefore.equals(runAfter);
          boolean recentWritesCount = !fencedThroughout || writesAfter != writesBefore;

          List<SessionInfo> writers = new ArrayList<>();
          List<SessionInfo> others = new ArrayList<>();
          int excluded = 0;
          boolean excludedWriterActive = false;
          for (ClientEntry c : clients) {
            String why = writerReason(c, writes, recentWritesCount ? recentSeconds : -1);
            if (excludedSession(c, migrationAccount, applicationAccounts)) {
              excluded++;
              excludedWriterActive |= why != null;
              continue;
            }
            SessionInfo s = session(c, why);
            (s.writer() ? writers : others).add(s);
          }
          long unattributed = writesAfter - writesBefore;
          // On a replica every write comes over the master link, which the counters include.
          if (!replica && unattributed > 0 && writers.isEmpty() && !excludedWriterActive) {
            writers.add(
                new SessionInfo(
                    "?",
                    "?",
                    "?",
                    "",
                    "gone",
                    true,
                    unattributed
                        + " write command(s) ran in the last "
                        + windowMs
                        + " ms from clients no longer connected (connection per request?)"));
          }
          return new Sessions(List.copyOf(writers), List.copyOf(others), excluded);
        });
  }

  private static boolean excludedSession(
      ClientEntry c, String migrationAccount, Set<String> applicationAccounts) {
    return c.own()
        || c.replication()
        || (migrationAccount != null && migrationAccount.equals(c.user()))
        || (!applicationAccounts.isEmpty() && !applicationAccounts.contains(c.user()));
  }

  /**
   * Why {@code c} counts as a writer, or null when it does not; {@code recentSeconds < 0} leaves
   * out writes that already ran (see {@link #listSessions}).
   */
  private static String writerReason(ClientEntry c, Set<String> writes, long recentSeconds) {
    if (c.inMulti()) {
      return "in MULTI with " + Math.max(0, c.queued()) + " command(s) queued";
    }
    boolean writeCommand = WriteCommands.writes(writes, c.cmd());
    if (writeCommand && c.blocked()) {
      return "waiting on " + c.cmd() + " (blocked, or held by the write fence)";
    }
    if (writeCommand
        && recentSeconds >= 0
        && c.idleSeconds() >= 0
        && c.idleSeconds() <= recentSeconds) {
      return "ran " + c.cmd() + " " + c.idleSeconds() + "s ago";
    }
    return null;
  }

  private static SessionInfo session(ClientEntry c, String writerReason) {
    String state =
        c.inMulti() ? "multi" : c.blocked() ? "blocked" : "idle " + c.idleSeconds() + "s";
    String detail =
        (writerReason == null ? "last command " + c.cmd() : writerReason)
            + "; db "
            + c.db()
            + ", flags "
            + c.flags();
    String application = c.name().isEmpty() ? c.library() : c.name();
    return new SessionInfo(
        c.id(), c.user(), c.addr(), application, state, writerReason != null, detail);
  }

  private static long writeCalls(Jedis j, Set<String> writes) {
    long sum = 0;
    for (Map.Entry<String, String> f : info(j, "commandstats").all().entrySet()) {
      String key = f.getKey();
      if (!key.startsWith("cmdstat_") || !writes.contains(key.substring(8).toLowerCase())) {
        continue;
      }
      for (String part : f.getValue().split(",")) {
        if (part.startsWith("calls=")) {
          sum += Long.parseLong(part.substring(6));
        }
      }
    }
    return sum;
  }

  // ---------------------------------------------------------------- fence

  /**
   * Pauses writes and keeps renewing the pause until {@link #unfenceWrites}. Idempotent: called
   * again on this worker it renews at once; on a new worker (the previous one died) it takes the
   * renewal over and says whether the previous pause was still in force.
   */
  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    RedisEndpoint e = endpoint(ctx);
    Duration period = duration(ctx, "fencePeriod", DEFAULT_FENCE_PERIOD);
    refuseHeldWrites(ctx);
    if (period.compareTo(Duration.ofSeconds(1)) < 0 || period.compareTo(Duration.ofHours(1)) > 0) {
      throw RedisEndpoint.invalid(
          ctx.side().word() + ".options.fencePeriod",
          "'" + period + "' is out of range",
          "use 1s to 1h; it bounds how long a fence outlives a crashed worker (default 10s)");
    }
    String method =
        "CLIENT PAUSE " + period.toMillis() + " WRITE, renewed every " + renewEvery(period) + " ms";
    synchronized (leases) {
      FenceLease lease = leases.get(e.address());
      if (lease != null) {
        try {
          lease.renewNow();
        } catch (RuntimeException ex) {
          throw unavailable(e, "renewing the write fence", ex);
        }
        FenceLease.Lapse lapse = lease.takeUnreportedLapse();
        if (lapse != null) {
          throw lapsed(e, lapse, "it is renewed again now");
        }
        int ended = endOpenTransactions(e, ctx);
        return new FenceResult(
            ctx.side(),
            method,
            ended,
            "write fence on " + e + " renewed (already held by this worker)" + endedDetail(ended));
      }
      requireFenceSupport(e);
      boolean wasInForce = pauseInForce(e);
      try {
        lease = FenceLease.start(e, ctx.cutoverId(), ctx.side(), period, renewer);
      } catch (JedisDataException ex) {
        if (RedisCalls.isPermission(ex)) {
          throw RedisCalls.permission(e, ex);
        }
        throw ex;
      } catch (RuntimeException ex) {
        throw unavailable(e, "pausing writes", ex);
      }
      leases.put(e.address(), lease);
      log.info("write fence on {} for cutover {}: {}", e, ctx.cutoverId(), method);
      int ended = endOpenTransactions(e, ctx);
      return new FenceResult(
          ctx.side(),
          method,
          ended,
          (wasInForce
                  ? "write fence on "
                      + e
                      + " taken over: a pause was still in force (held by a previous worker)"
                  : "write fence on " + e + " established")
              + endedDetail(ended));
    }
  }

  /**
   * Closes the application's clients that are in MULTI, once the pause holds (so none of them can
   * EXEC a write between the listing and the close: an EXEC sent now is held, then discarded with
   * its connection).
   */
  private static int endOpenTransactions(RedisEndpoint e, EngineContext ctx) {
    Set<String> applicationAccounts = new HashSet<>(ctx.endpoint().applicationAccounts());
    String migrationAccount = ctx.migrationAccount();
    try {
      return RedisCalls.on(
          e,
          "fence",
          j -> {
            int ended = 0;
            for (ClientEntry c : ClientEntry.parse(j.clientList())) {
              if (c.inMulti() && !excludedSession(c, migrationAccount, applicationAccounts)) {
                ended += (int) j.clientKill(new ClientKillParams().id(c.id()));
                log.info(
                    "closed client {} ({}, {}) on {}: in MULTI when the write fence went up",
                    c.id(),
                    c.user(),
                    c.name(),
                    e);
              }
            }
            return ended;
          });
    } catch (RuntimeException ex) {
      throw unavailable(e, "ending open transactions under the write fence", ex);
    }
  }

  private static String endedDetail(int ended) {
    return ended == 0
        ? ""
        : "; closed " + ended + " application connection(s) in MULTI (their transaction discarded)";
  }

  /**
   * Stops renewing and {@code CLIENT UNPAUSE}. Idempotent.
   *
   * <p>Redis holds a write that arrives during the pause and runs it when the pause ends, so a
   * write the application sent while fenced would land (and be acknowledged) after the fence, on a
   * server the application may be leaving: after the forward pause such a write reaches the old
   * source only, and is lost at the switch. By default ({@code options.heldWrites: refuse}) the
   * connections whose write is still held are closed before the unpause: their clients see an
   * error, as a fenced PostgreSQL or MySQL refuses writes. {@code heldWrites: release} lets them
   * run, for a router that keeps the application on this server (its requests then only stall).
   *
   * <p>When the fence lapsed while held and no call reported it yet, the fence is lifted and then a
   * {@value #FENCE_LAPSED} failure reports the lapse; a repeated call succeeds.
   */
  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    RedisEndpoint e = endpoint(ctx);
    boolean refuseHeld = refuseHeldWrites(ctx);
    boolean surelyPaused;
    synchronized (leases) {
      FenceLease lease = leases.remove(e.address());
      // This worker's own renewals say the pause holds: no need for the probe, which costs a
      // whole probe timeout (1 s of write outage) exactly when the pause is in force.
      surelyPaused = lease != null && lease.surelyInForceFor(UNFENCE_MARGIN);
      if (lease != null) {
        lease.stop();
        FenceLease.Lapse lapse = lease.takeUnreportedLapse();
        if (lapse != null) {
          // Kept apart until the unpause succeeds, so a retried unfence still reports it.
          pendingLapses.put(e.address(), lapse);
        }
      }
    }
    Set<String> applicationAccounts = new HashSet<>(ctx.endpoint().applicationAccounts());
    String migrationAccount = ctx.migrationAccount();
    boolean paused = surelyPaused || pauseInForce(e);
    int closed =
        RedisCalls.on(
            e,
            "unfence",
            j -> {
              int killed = 0;
              if (paused && refuseHeld) {
                Set<String> writes = writeCommands.of(e.address(), j);
                for (ClientEntry c : ClientEntry.parse(j.clientList())) {
                  if (c.blocked()
                      && WriteCommands.writes(writes, c.cmd())
                      && !excludedSession(c, migrationAccount, applicationAccounts)) {
                    killed += (int) j.clientKill(new ClientKillParams().id(c.id()));
                  }
                }
              }
              j.clientUnpause();
              return killed;
            });
    String detail =
        (paused ? "write fence on " + e + " lifted" : "no write fence was in force on " + e)
            + (closed > 0
                ? "; closed " + closed + " connection(s) whose write the fence held (refused)"
                : "")
            + (paused && !refuseHeld
                ? "; writes the fence held run now (heldWrites: release)"
                : "");
    log.info("{} (cutover {})", detail, ctx.cutoverId());
    FenceLease.Lapse lapse = pendingLapses.remove(e.address());
    if (lapse != null) {
      throw lapsed(e, lapse, "it is lifted now");
    }
    return new FenceResult(ctx.side(), "CLIENT UNPAUSE", closed, detail);
  }

  private static Duration sessionWindow(EngineContext ctx) {
    Duration window = duration(ctx, "sessionWindow", DEFAULT_SESSION_WINDOW);
    if (window.compareTo(Duration.ofMillis(100)) < 0
        || window.compareTo(Duration.ofSeconds(30)) > 0) {
      throw RedisEndpoint.invalid(
          ctx.side().word() + ".options.sessionWindow",
          "'" + window + "' is out of range",
          "use 100ms to 30s: how long the session check watches for writes (default 1s)");
    }
    return window;
  }

  private static boolean refuseHeldWrites(EngineContext ctx) {
    String v = ctx.endpoint().option("heldWrites", "refuse");
    if (!v.equals("refuse") && !v.equals("release")) {
      throw RedisEndpoint.invalid(
          ctx.side().word() + ".options.heldWrites",
          "'" + v + "' is not a choice",
          "use refuse (default: writes held by the fence fail when it is lifted) or release"
              + " (they run)");
    }
    return v.equals("refuse");
  }

  /**
   * Whether a write pause is in force on the endpoint now, by a probe on a connection that gives up
   * after {@value #PROBE_TIMEOUT_MS} ms: a command the pause holds, that changes nothing when it
   * runs. On a master that is a DEL of a key that does not exist (a DEL that deletes nothing is not
   * replicated, so the replication offset, which a partial resync of the reverse instance depends
   * on, does not move). A read-only replica refuses the DEL at once, so there the probe is a
   * PUBLISH to a channel of Switchback's, which a replica does not replicate further. Held by the
   * pause, the probe's connection is closed, which discards the command.
   */
  public boolean fenceHeld(EngineContext ctx) {
    return pauseInForce(endpoint(ctx));
  }

  /** One line per fence this worker holds, lapses included: for health checks and describe. */
  public List<String> fenceHealth() {
    return leases.values().stream().map(FenceLease::describe).sorted().toList();
  }

  /**
   * Why the write fence on {@code e} may not have held all along, or null when it surely did: this
   * worker renewed it without a lapse, or (after a worker restart) the pause the earlier worker set
   * is still in force, so it never ran out. A lapse this worker saw counts as reported from here.
   */
  String fenceDoubt(RedisEndpoint e) {
    FenceLease lease = leases.get(e.address());
    if (lease != null) {
      FenceLease.Lapse lapse = lease.lapseSeen();
      lease.takeUnreportedLapse();
      return lapse == null
          ? null
          : "the write fence on " + e + " lapsed at " + lapse.at() + " (" + lapse.reason() + ")";
    }
    return pauseInForce(e)
        ? null
        : "no worker holds the write fence on "
            + e
            + " and no pause is in force (a worker restart let it run out)";
  }

  /** The fence this worker holds on {@code address} ({@code host:port}), or null. */
  String fenceOn(String address) {
    FenceLease lease = leases.get(address);
    return lease == null ? null : lease.describe();
  }

  boolean pauseInForce(RedisEndpoint e) {
    try (Jedis j = e.open("probe", PROBE_TIMEOUT_MS)) {
      j.ping();
      try {
        j.del(PROBE_KEY);
      } catch (JedisDataException ex) {
        if (!String.valueOf(ex.getMessage()).startsWith("READONLY")) {
          throw ex;
        }
        j.publish(PROBE_KEY, "probe");
      }
      return false;
    } catch (JedisConnectionException ex) {
      if (causedBy(ex, SocketTimeoutException.class)) {
        return true;
      }
      throw new RedisCalls.RedisUnavailableException(
          "cannot reach " + e + " (" + RedisCalls.rootMessage(ex) + ")", ex);
    } catch (JedisDataException ex) {
      if (RedisCalls.isPermission(ex)) {
        throw RedisCalls.permission(e, ex);
      }
      throw ex;
    }
  }

  private void surfaceLapse(RedisEndpoint e) {
    FenceLease lease = leases.get(e.address());
    FenceLease.Lapse lapse = lease == null ? null : lease.takeUnreportedLapse();
    if (lapse != null) {
      throw lapsed(e, lapse, "the renewer keeps trying to hold it");
    }
  }

  private static ApplicationFailure lapsed(RedisEndpoint e, FenceLease.Lapse lapse, String now) {
    return ApplicationFailure.newNonRetryableFailure(
        "the write fence on "
            + e
            + " may have lapsed at "
            + lapse.at()
            + " ("
            + lapse.reason()
            + "); "
            + now
            + ". Application writes may have reached "
            + e
            + " while it was down, so the quiesce cannot be trusted: roll back",
        FENCE_LAPSED);
  }

  private void requireFenceSupport(RedisEndpoint e) {
    String version = RedisCalls.on(e, "version", j -> info(j, "server").get("redis_version"));
    if (!atLeast(version, 6, 2)) {
      throw ApplicationFailure.newNonRetryableFailure(
          e
              + " runs Redis "
              + version
              + ", which cannot fence writes: CLIENT PAUSE ... WRITE needs Redis 6.2 or later",
          FailureTypes.INVALID_PLAN);
    }
  }

  private static long renewEvery(Duration period) {
    return Math.max(100, period.toMillis() / 3);
  }

  // ---------------------------------------------------------------- privileges

  /**
   * Removes every write command from {@code account} ({@code ACL SETUSER account -@write}), closes
   * its connections and checks what it may still run: see {@link RedisRevoke}.
   */
  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    RedisEndpoint e = endpoint(ctx);
    if (account == null || account.isBlank() || account.contains(" ")) {
      throw RedisEndpoint.invalid(
          "migrationAccount.user", "'" + account + "' is not an ACL user name", "name the account");
    }
    return RedisCalls.on(e, "revoke", j -> RedisRevoke.revoke(j, e, account));
  }

  // ---------------------------------------------------------------- preflight

  /** rediss:// is TLS with the server's certificate and host name checked (Jedis' default). */
  @Override
  public Transport transport(String field, dev.switchback.plan.EndpointSpec endpoint) {
    String url =
        endpoint.url() == null ? "" : endpoint.url().strip().toLowerCase(java.util.Locale.ROOT);
    if (url.startsWith("rediss://")) {
      return Transport.verified(
          field,
          field
              + ".url is rediss://: TLS, the server's certificate (the worker's trust store) and"
              + " host name checked");
    }
    return Transport.plaintext(
        field,
        field
            + ".url is redis://: no TLS, AUTH and data in clear; write rediss://host:port with"
            + " the server's CA in the worker's trust store");
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    String where = ctx.side().word();
    List<PreflightCheck> out = new ArrayList<>();
    RedisEndpoint e;
    try {
      e = endpoint(ctx);
      duration(ctx, "fencePeriod", DEFAULT_FENCE_PERIOD);
      sessionWindow(ctx);
      refuseHeldWrites(ctx);
    } catch (ApplicationFailure f) {
      out.add(new PreflightCheck(where + " endpoint", false, f.getOriginalMessage()));
      return out;
    }
    String version;
    try {
      version = RedisCalls.on(e, "preflight", j -> info(j, "server").get("redis_version"));
      out.add(new PreflightCheck(where + " reachable", true, e + " answers, Redis " + version));
    } catch (RuntimeException ex) {
      out.add(new PreflightCheck(where + " reachable", false, message(ex)));
      return out;
    }
    boolean fenceable = atLeast(version, 6, 2);
    out.add(
        new PreflightCheck(
            where + " write fence supported",
            fenceable,
            fenceable
                ? "CLIENT PAUSE WRITE is available (Redis " + version + ")"
                : "Redis " + version + " has no CLIENT PAUSE WRITE; upgrade to 6.2 or later"));
    out.add(privileges(e, where));
    return out;
  }

  private static PreflightCheck privileges(RedisEndpoint e, String where) {
    String check = where + " privileges to fence, list sessions and revoke";
    try {
      return RedisCalls.on(
          e,
          "preflight",
          j -> {
            String me = j.aclWhoAmI();
            List<String> refused = new ArrayList<>();
            List<List<String>> needed =
                List.of(
                    List.of("client", "pause", "1000", "write"),
                    List.of("client", "unpause"),
                    List.of("client", "list"),
                    List.of("client", "kill", "id", "1"),
                    List.of("info", "commandstats"),
                    List.of("command"),
                    List.of("del", PROBE_KEY),
                    List.of("publish", PROBE_KEY, "probe"),
                    List.of("acl", "setuser", "someone", "-@write"));
            for (List<String> cmd : needed) {
              String verdict = RedisCalls.dryRun(j, me, cmd);
              if (verdict == null) {
                // ACL DRYRUN arrived in 7.0: a 6.2 server cannot be asked; the fence will tell.
                return new PreflightCheck(
                    check, true, "not checkable before Redis 7.0 (no ACL DRYRUN); account " + me);
              }
              if (!"OK".equalsIgnoreCase(verdict)) {
                refused.add(String.join(" ", cmd).toUpperCase() + ": " + verdict);
              }
            }
            return refused.isEmpty()
                ? new PreflightCheck(
                    check, true, "account '" + me + "' may run every command needed")
                : new PreflightCheck(
                    check,
                    false,
                    "account '"
                        + me
                        + "' on "
                        + e
                        + " is refused "
                        + refused
                        + "; grant them (ACL SETUSER "
                        + me
                        + " +@admin +@connection +info +command +del +publish ~"
                        + RedisEndpoint.OWN_NAME
                        + ":* &"
                        + RedisEndpoint.OWN_NAME
                        + ":*)");
          });
    } catch (ApplicationFailure f) {
      return new PreflightCheck(check, false, f.getOriginalMessage());
    } catch (RuntimeException ex) {
      return new PreflightCheck(check, false, message(ex));
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Stops every renewer without lifting its pause: the pauses run out within their period. This is
   * what a worker that stops does; the workflow lifts fences with {@link #unfenceWrites}.
   */
  @Override
  public void close() {
    synchronized (leases) {
      leases.values().forEach(FenceLease::stop);
      leases.clear();
    }
    renewer.shutdownNow();
  }

  // ---------------------------------------------------------------- helpers

  static RedisEndpoint endpoint(EngineContext ctx) {
    return RedisEndpoint.of(ctx.side().word(), ctx.endpoint(), ctx.connections().secrets());
  }

  private static Duration duration(EngineContext ctx, String option, Duration fallback) {
    EndpointSpec spec = ctx.endpoint();
    String value = spec.option(option, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException ex) {
      throw RedisEndpoint.invalid(
          ctx.side().word() + ".options." + option, ex.getMessage(), "write e.g. 10s");
    }
  }

  static RedisInfo info(Jedis j, String section) {
    return new RedisInfo(j.info(section));
  }

  static boolean atLeast(String version, int major, int minor) {
    if (version == null) {
      return false;
    }
    String[] p = version.split("\\.");
    try {
      int ma = Integer.parseInt(p[0]);
      int mi = p.length > 1 ? Integer.parseInt(p[1]) : 0;
      return ma > major || (ma == major && mi >= minor);
    } catch (NumberFormatException ex) {
      return false;
    }
  }

  private static RuntimeException unavailable(RedisEndpoint e, String what, RuntimeException ex) {
    if (ex instanceof ApplicationFailure || ex instanceof RedisCalls.RedisUnavailableException) {
      return ex;
    }
    if (ex instanceof JedisDataException d && RedisCalls.isPermission(d)) {
      return RedisCalls.permission(e, d);
    }
    return new RedisCalls.RedisUnavailableException(
        what + " on " + e + " failed (" + RedisCalls.rootMessage(ex) + ")", ex);
  }

  private static String message(RuntimeException ex) {
    return ex instanceof ApplicationFailure f ? f.getOriginalMessage() : ex.getMessage();
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sampling sessions", ex);
    }
  }
}
