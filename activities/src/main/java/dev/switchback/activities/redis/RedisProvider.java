package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.MigrationSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.resps.AccessControlUser;

/**
 * Redis native replication as the migration instance. The forward instance is the destination being
 * a replica of the source ({@code REPLICAOF}); the reverse instance is the old source being a
 * replica of the destination. Neither has a name on the server: the plan's instance names label
 * them in messages.
 *
 * <ul>
 *   <li>describe: {@code INFO replication} on both. RUNNING while the replica's link is up, lag in
 *       bytes from the replication offsets; PAUSED once the replica was detached: it is a master
 *       whose previous replication id ({@code master_replid2}) is the writer's, so the state needs
 *       no marker and survives worker restarts.
 *   <li>exact drain: the writer's {@code master_repl_offset} after the fence (with its replication
 *       id, {@code replid:offset}) against the replica's {@code slave_repl_offset}; after the pause
 *       against the offset the replica had reached when it was detached.
 *   <li>pause = {@code REPLICAOF NO ONE} on the replica. For Redis this also promotes it: the
 *       detached destination is a writable master, ready for the switch. It cannot be resumed
 *       without a resync, which Switchback never asks for (a paused instance is never resumed).
 *       Pause and terminate are the same act; a terminated instance shows as PAUSED (detached).
 *   <li>reverse instance: {@code REPLICAOF <destination>} on the old source, which also makes it a
 *       read-only replica ({@code replica-read-only yes}), a fence for the rollback path. Because
 *       the promoted destination keeps the source's replication id as its second id, the old source
 *       continues with a partial resync (checked on Redis 7.0.15: only the destination's writes
 *       since the promotion are sent); if the source moved past the point where the destination was
 *       detached, Redis falls back to a full resync that replaces the source's data with the
 *       destination's.
 * </ul>
 *
 * <p>Options ({@code migration.options}): {@code sourceReplicationAddress} (host:port at which the
 * destination reaches the source, when it differs from the source URL), {@code
 * destinationReplicationAddress} (host:port at which the source reaches the destination, for the
 * reverse instance), {@code reverseMasterUser} and {@code reverseMasterPassword} (a secret
 * reference): the account the old source logs in to the destination with when the destination
 * requires one (set as {@code masteruser}/{@code masterauth} on the source).
 *
 * <p>A write fence on the writer ({@code CLIENT PAUSE WRITE}) never pauses the replicas attached to
 * it, so the forward instance keeps streaming during the quiesce. A fence on the replica itself
 * does hold back what its master sends: lift the old source's fence once the reverse instance is
 * attached (its postponed application writes then fail with READONLY).
 */
public final class RedisProvider implements MigrationProvider {
  private static final Logger log = LoggerFactory.getLogger(RedisProvider.class);
  private final RedisEngine engine;

  public RedisProvider() {
    this(null);
  }

  /** With the engine whose write fences {@link #describe} reports (lapses included). */
  public RedisProvider(RedisEngine engine) {
    this.engine = engine;
  }

  @Override
  public String name() {
    return "redis";
  }

  /** The two ends of an instance: the writer it reads from and the replica it writes to. */
  private record Ends(
      String instance,
      RedisEndpoint writer,
      RedisEndpoint replica,
      String writerAddressForReplica,
      Direction direction) {}

  private static Ends ends(MigrationContext ctx, Direction direction) {
    CutoverPlan plan = ctx.plan();
    MigrationSpec m = plan.migration();
    RedisEndpoint source = RedisEndpoint.of("source", plan.source(), ctx.connections().secrets());
    RedisEndpoint destination =
        RedisEndpoint.of("destination", plan.destination(), ctx.connections().secrets());
    if (direction == Direction.FORWARD) {
      return new Ends(
          m.instance(),
          source,
          destination,
          address(m, "sourceReplicationAddress", source),
          direction);
    }
    return new Ends(
        m.reverseInstance(),
        destination,
        source,
        address(m, "destinationReplicationAddress", destination),
        direction);
  }

  private static String address(MigrationSpec m, String option, RedisEndpoint fallback) {
    String value = m.option(option, null);
    if (value == null) {
      return fallback.address();
    }
    if (!value.matches("[^\\s:]+:\\d{1,5}")) {
      throw RedisEndpoint.invalid(
          "migration.options." + option, "'" + value + "' is not host:port", "write host:port");
    }
    return value;
  }

  private static Replication replication(RedisEndpoint e) {
    return RedisCalls.on(e, "replication", j -> Replication.of(RedisEngine.info(j, "replication")));
  }

  // ---------------------------------------------------------------- describe

  @Override
  public InstanceState describe(MigrationContext ctx, Direction direction) {
    Ends ends = ends(ctx, direction);
    Replication replica = replication(ends.replica());
    Replication writer = replication(ends.writer());
    String fence = fenceNote(ends);
    String label = ends.replica() + " from " + ends.writer();
    if (replica.replica()) {
      if (!attached(ends, replica, writer)) {
        return new InstanceState(
            ends.instance(),
            "NOT_FOUND",
            false,
            null,
            null,
            null,
            ends.replica()
                + " replicates from "
                + replica.masterAddress()
                + ", not from "
                + ends.writer()
                + fence);
      }
      if (replica.syncInProgress()) {
        return new InstanceState(
            ends.instance(),
            "STARTING",
            false,
            null,
            null,
            null,
            label + ": initial (full) sync in progress" + fence);
      }
      if (!replica.linkUp()) {
        return new InstanceState(
            ends.instance(),
            "DISCONNECTED",
            true,
            null,
            null,
            position(replica.replid(), replica.replicaOffset()),
            label
                + ": link to the master down"
                + (replica.linkDownSeconds() >= 0 ? " for " + replica.linkDownSeconds() + " s" : "")
                + fence);
      }
      Long lagBytes =
          replica.replid().equals(writer.replid())
              ? Math.max(0, writer.offset() - replica.replicaOffset())
              : null;
      Long latencyMs = latency(lagBytes, writer, ends.replica().port());
      return new InstanceState(
          ends.instance(),
          "RUNNING",
          true,
          latencyMs,
          lagBytes,
          position(replica.replid(), replica.replicaOffset()),
          label
              + ": streaming, "
              + (lagBytes == null ? "lag unknown (ids differ)" : lagBytes + " bytes behind")
              + fence);
    }
    if (replica.promotedFrom(writer.replid()) || replica.promotedFrom(writer.replid2())) {
      return new InstanceState(
          ends.instance(),
          "PAUSED",
          true,
          null,
          null,
          position(replica.replid2(), replica.lastOffsetOfReplid2()),
          label
              + ": detached at offset "
              + replica.lastOffsetOfReplid2()
              + " (REPLICAOF NO ONE): "
              + ends.replica()
              + " is a writable master"
              + fence);
    }
    return new InstanceState(
        ends.instance(),
        "NOT_FOUND",
        false,
        null,
        null,
        null,
        ends.replica() + " is a master that does not replicate from " + ends.writer() + fence);
  }

  /**
   * Redis reports replication lag in bytes, not time: {@code lag} in a master's replica entry is
   * the seconds since the replica's last acknowledgement (sent every second). So latency is 0 when
   * the replica has every byte, and otherwise at least a second.
   */
  private static Long latency(Long lagBytes, Replication writer, int replicaPort) {
    if (lagBytes == null) {
      return null;
    }
    if (lagBytes == 0) {
      return 0L;
    }
    Map<String, String> entry = writer.replicaEntry(replicaPort);
    long seconds = 1;
    try {
      seconds = Math.max(1, Long.parseLong(entry.getOrDefault("lag", "1")));
    } catch (NumberFormatException e) {
      // keep 1
    }
    return seconds * 1000;
  }

  /**
   * Whether {@code replica} replicates from the writer: its master address is the writer's (as the
   * replica sees it), or it streams under the writer's replication id.
   */
  private static boolean attached(Ends ends, Replication replica, Replication writer) {
    return replica.masterAddress().equalsIgnoreCase(ends.writerAddressForReplica())
        || replica.masterAddress().equalsIgnoreCase(ends.writer().address())
        || (replica.linkUp() && replica.replid().equals(writer.replid()));
  }

  private String fenceNote(Ends ends) {
    if (engine == null) {
      return "";
    }
    String w = engine.fenceOn(ends.writer().address());
    return w == null ? "" : "; " + w;
  }

  // ---------------------------------------------------------------- drain

  @Override
  public String writerPosition(MigrationContext ctx, Direction direction) {
    Ends ends = ends(ctx, direction);
    Replication writer = replication(ends.writer());
    return position(writer.replid(), writer.offset());
  }

  @Override
  public boolean drained(MigrationContext ctx, Direction direction, String target) {
    Ends ends = ends(ctx, direction);
    int colon = target == null ? -1 : target.lastIndexOf(':');
    long offset;
    try {
      offset = Long.parseLong(target.substring(colon + 1));
    } catch (RuntimeException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "'" + target + "' is not a Redis replication position (replid:offset)",
          FailureTypes.INSTANCE_STATE);
    }
    String id = target.substring(0, colon);
    Replication replica = replication(ends.replica());
    if (replica.replica() && replica.replid().equals(id)) {
      return replica.replicaOffset() >= offset;
    }
    if (replica.promotedFrom(id)) {
      return replica.lastOffsetOfReplid2() >= offset;
    }
    if (replica.replica()) {
      // Not on the writer's stream yet (a full sync is loading) or attached elsewhere.
      Replication writer = replication(ends.writer());
      if (attached(ends, replica, writer)) {
        return false;
      }
    }
    throw ApplicationFailure.newNonRetryableFailure(
        ends.instance()
            + ": "
            + ends.replica()
            + " is no longer on the replication stream of "
            + ends.writer()
            + " (its ids are "
            + replica.replid()
            + "/"
            + replica.replid2()
            + ", the fence left "
            + target
            + "): the drain cannot be proved",
        FailureTypes.INSTANCE_STATE);
  }

  // ---------------------------------------------------------------- pause, reverse, terminate

  /**
   * {@code REPLICAOF NO ONE} on the replica: it stops following the writer and becomes a writable
   * master (for the forward instance, the destination is then ready for the switch). Idempotent: a
   * detached replica is left as it is; never resumed.
   */
  @Override
  public void pause(MigrationContext ctx, Direction direction) {
    Ends ends = ends(ctx, direction);
    Replication replica = replication(ends.replica());
    if (replica.master()) {
      log.info("{}: {} is already detached (a master)", ends.instance(), ends.replica());
      return;
    }
    Replication writer = replication(ends.writer());
    if (!attached(ends, replica, writer)) {
      throw ApplicationFailure.newNonRetryableFailure(
          ends.instance()
              + ": "
              + ends.replica()
              + " replicates from "
              + replica.masterAddress()
              + ", not from "
              + ends.writer()
              + "; not touching it",
          FailureTypes.INSTANCE_STATE);
    }
    if (replica.syncInProgress()) {
      throw ApplicationFailure.newNonRetryableFailure(
          ends.instance()
              + ": "
              + ends.replica()
              + " is still loading its initial sync; detaching it now would promote a partial"
              + " copy",
          FailureTypes.INSTANCE_STATE);
    }
    RedisCalls.on(ends.replica(), "pause", Jedis::replicaofNoOne);
    log.info(
        "{}: paused: {} detached from {} (REPLICAOF NO ONE)",
        ends.instance(),
        ends.replica(),
        ends.writer());
  }

  /**
   * {@code REPLICAOF <destination>} on the old source. Refuses while the destination still
   * replicates from the source (that would be a replication loop): pause the forward instance
   * first. A no-op when the source already replicates from the destination.
   */
  @Override
  public void createReverseIncremental(MigrationContext ctx) {
    Ends reverse = ends(ctx, Direction.REVERSE);
    RedisEndpoint source = reverse.replica();
    RedisEndpoint destination = reverse.writer();
    Replication dst = replication(destination);
    Replication src = replication(source);
    if (src.replica()) {
      if (attached(reverse, src, dst)) {
        log.info("{}: {} already replicates from {}", reverse.instance(), source, destination);
        if (engine != null && engine.fenceOn(source.address()) != null) {
          liftSourceFence(ctx); // a retry after REPLICAOF succeeded and the lift did not
        }
        return;
      }
      throw ApplicationFailure.newNonRetryableFailure(
          reverse.instance()
              + ": "
              + source
              + " replicates from "
              + src.masterAddress()
              + "; it must be a master to become the reverse instance's replica",
          FailureTypes.INSTANCE_STATE);
    }
    if (!dst.master()) {
      throw ApplicationFailure.newNonRetryableFailure(
          reverse.instance()
              + ": "
              + destination
              + " still replicates from "
              + dst.masterAddress()
              + "; pause the forward instance (REPLICAOF NO ONE on the destination) first",
          FailureTypes.INSTANCE_STATE);
    }
    refuseIfWrittenUnfenced(reverse, source, src, dst);
    String continuation = continuation(src, dst);
    MigrationSpec m = ctx.plan().migration();
    String masterUser = m.option("reverseMasterUser", null);
    String masterPassword =
        ctx.connections()
            .secrets()
            .resolve(
                "migration.options.reverseMasterPassword", m.option("reverseMasterPassword", null));
    String[] hostPort = splitAddress(reverse.writerAddressForReplica());
    RedisCalls.on(
        source,
        "reverse",
        j -> {
          if (masterPassword != null) {
            if (masterUser != null) {
              j.configSet("masteruser", masterUser);
            }
            j.configSet("masterauth", masterPassword);
          }
          return j.replicaof(hostPort[0], Integer.parseInt(hostPort[1]));
        });
    log.info(
        "{}: reverse instance created: {} replicates from {} ({})",
        reverse.instance(),
        source,
        reverse.writerAddressForReplica(),
        continuation);
    liftSourceFence(ctx);
  }

  /**
   * REPLICAOF replaces whatever the old source holds beyond the point where the destination was
   * detached. Under a fence that held all along that is nothing; when the fence may have run out (a
   * lapse, or a worker restart that left no one renewing it) and the source moved past that point,
   * writes may have landed there, and the reverse instance is refused: the rollback that follows
   * keeps them on the source, which the application has not left yet.
   */
  private void refuseIfWrittenUnfenced(
      Ends reverse, RedisEndpoint source, Replication src, Replication dst) {
    String doubt = engine == null ? null : engine.fenceDoubt(source);
    if (doubt == null) {
      return;
    }
    boolean continues =
        src.replid().equals(dst.replid2()) && src.offset() + 1 <= dst.secondOffset();
    if (continues) {
      log.warn(
          "{}: {}; the source took no write since the destination was detached, so attaching it"
              + " loses nothing",
          reverse.instance(),
          doubt);
      return;
    }
    throw ApplicationFailure.newNonRetryableFailure(
        reverse.instance()
            + ": "
            + doubt
            + "; the old source "
            + (src.replid().equals(dst.replid2())
                ? "moved " + (src.offset() + 1 - dst.secondOffset()) + " bytes past"
                : "no longer shares its replication history with")
            + " the point where the destination was detached, so writes may have landed on it."
            + " Attaching it as the reverse instance's replica would replace them with the"
            + " destination's data, so nothing was attached; rolling back keeps them on the source."
            + " Inspect them before the next cutover.",
        FailureTypes.FENCE_LAPSED);
  }

  /**
   * The old source is a read-only replica now, which refuses client writes by itself, so the
   * application fence (CLIENT PAUSE WRITE, which also holds back what the new master streams) is
   * lifted: REPLICAOF was sent while the pause held, so no client could write in between. Writes
   * the pause held are refused as the engine's unfence does (or fail with READONLY).
   */
  private void liftSourceFence(MigrationContext ctx) {
    if (engine == null) {
      return;
    }
    FenceResult lifted =
        engine.unfenceWrites(
            new EngineContext(ctx.cutoverId(), ctx.plan(), Side.SOURCE, ctx.connections()));
    log.info("{}: {}", ctx.plan().migration().reverseInstance(), lifted.detail());
  }

  /**
   * What the old source's REPLICAOF will do: continue partially when it asks for a point the
   * destination still holds under its second id, else a full resync.
   */
  static String continuation(Replication src, Replication dst) {
    long from = src.offset() + 1;
    if (src.replid().equals(dst.replid2())
        && from <= dst.secondOffset()
        && from >= dst.backlogFirstByte()) {
      return "partial resync from offset " + from + ": only the destination's new writes are sent";
    }
    if (src.replid().equals(dst.replid2()) && from > dst.secondOffset()) {
      return "full resync: the source is "
          + (from - dst.secondOffset())
          + " bytes past the point where the destination was detached (writes after the pause?);"
          + " the destination's data replaces the source's";
    }
    return "full resync: the source and destination share no replication history; the"
        + " destination's data replaces the source's";
  }

  /**
   * Detaches the replica when it still follows the writer ({@code REPLICAOF NO ONE}). For the
   * forward instance, which the pause already detached, there is nothing left to do; for the
   * reverse instance this leaves the old source a standalone, writable master.
   */
  @Override
  public void terminate(MigrationContext ctx, Direction direction) {
    Ends ends = ends(ctx, direction);
    Replication replica = replication(ends.replica());
    if (!replica.replica()) {
      log.info("{}: nothing to terminate, {} is a master", ends.instance(), ends.replica());
      return;
    }
    Replication writer = replication(ends.writer());
    if (!attached(ends, replica, writer)) {
      log.warn(
          "{}: {} replicates from {}, not from {}: not ours to terminate",
          ends.instance(),
          ends.replica(),
          replica.masterAddress(),
          ends.writer());
      return;
    }
    RedisCalls.on(ends.replica(), "terminate", Jedis::replicaofNoOne);
    log.info("{}: terminated: {} detached from {}", ends.instance(), ends.replica(), ends.writer());
  }

  // ---------------------------------------------------------------- preflight

  @Override
  public List<PreflightCheck> preflight(MigrationContext ctx) {
    List<PreflightCheck> out = new ArrayList<>();
    Ends forward;
    Ends reverse;
    try {
      forward = ends(ctx, Direction.FORWARD);
      reverse = ends(ctx, Direction.REVERSE);
    } catch (ApplicationFailure f) {
      out.add(new PreflightCheck("migration endpoints", false, f.getOriginalMessage()));
      return out;
    }
    InstanceState state;
    try {
      state = describe(ctx, Direction.FORWARD);
    } catch (RuntimeException e) {
      out.add(new PreflightCheck("forward instance", false, message(e)));
      return out;
    }
    out.add(
        new PreflightCheck(
            "forward instance",
            state.running() || "STARTING".equals(state.status()),
            state.status()
                + ": "
                + state.detail()
                + (state.running() || "STARTING".equals(state.status())
                    ? ""
                    : " (fix: REPLICAOF "
                        + forward.writerAddressForReplica().replace(':', ' ')
                        + " on the destination)")));
    try {
      Replication dst = replication(forward.replica());
      out.add(
          new PreflightCheck(
              "destination read-only while it replicates",
              !dst.replica() || dst.readOnly(),
              dst.readOnly() || !dst.replica()
                  ? "replica-read-only yes: the application cannot write to the destination"
                      + " before the switch"
                  : "replica-read-only is off: set CONFIG SET replica-read-only yes on the"
                      + " destination"));
    } catch (RuntimeException e) {
      out.add(new PreflightCheck("destination read-only while it replicates", false, message(e)));
    }
    out.add(reverseLogin(ctx, reverse));
    out.add(canRun(forward.replica(), "destination", List.of("replicaof", "no", "one")));
    out.add(canRun(reverse.replica(), "source", List.of("replicaof", "no", "one")));
    return out;
  }

  private static PreflightCheck reverseLogin(MigrationContext ctx, Ends reverse) {
    String check = "reverse instance can log in to the destination";
    MigrationSpec m = ctx.plan().migration();
    if (m.option("reverseMasterPassword", null) != null) {
      try {
        ctx.connections()
            .secrets()
            .resolve(
                "migration.options.reverseMasterPassword", m.option("reverseMasterPassword", null));
        return new PreflightCheck(
            check, true, "the source logs in with migration.options.reverseMasterPassword");
      } catch (ApplicationFailure f) {
        return new PreflightCheck(check, false, f.getOriginalMessage());
      }
    }
    try {
      return RedisCalls.on(
          reverse.writer(),
          "preflight",
          j -> {
            AccessControlUser def = j.aclGetUser("default");
            boolean open =
                def != null && def.getFlags().contains("on") && def.getFlags().contains("nopass");
            return new PreflightCheck(
                check,
                open,
                open
                    ? reverse.writer() + " lets the default user in without a password"
                    : reverse.writer()
                        + " requires a login: set migration.options.reverseMasterUser and"
                        + " reverseMasterPassword (env:NAME) for the source to replicate with");
          });
    } catch (ApplicationFailure f) {
      return new PreflightCheck(check, false, f.getOriginalMessage());
    } catch (RuntimeException e) {
      return new PreflightCheck(check, false, message(e));
    }
  }

  private static PreflightCheck canRun(RedisEndpoint e, String where, List<String> cmd) {
    String check = where + " admin may run " + String.join(" ", cmd).toUpperCase();
    try {
      return RedisCalls.on(
          e,
          "preflight",
          j -> {
            String me = j.aclWhoAmI();
            String verdict;
            try {
              verdict =
                  j.aclDryRun(me, cmd.get(0), cmd.subList(1, cmd.size()).toArray(String[]::new));
            } catch (JedisDataException ex) {
              return new PreflightCheck(
                  check, true, "not checkable on this server (" + ex.getMessage() + ")");
            }
            return new PreflightCheck(
                check,
                "OK".equalsIgnoreCase(verdict),
                "OK".equalsIgnoreCase(verdict)
                    ? "account '" + me + "' may"
                    : "account '" + me + "' is refused: " + verdict);
          });
    } catch (ApplicationFailure f) {
      return new PreflightCheck(check, false, f.getOriginalMessage());
    } catch (RuntimeException ex) {
      return new PreflightCheck(check, false, message(ex));
    }
  }

  // ---------------------------------------------------------------- helpers

  static String position(String replid, long offset) {
    return replid + ":" + offset;
  }

  private static String[] splitAddress(String address) {
    int colon = address.lastIndexOf(':');
    return new String[] {address.substring(0, colon), address.substring(colon + 1)};
  }

  private static String message(RuntimeException e) {
    return e instanceof ApplicationFailure f ? f.getOriginalMessage() : e.getMessage();
  }
}
