package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.MigrationSpec;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL logical replication as the migration instance.
 *
 * <p>The forward instance is the subscription named {@code migration.instance} in the destination's
 * database, fed by a slot of the subscription's slot name (by default the same name) on the source.
 * The reverse instance is the subscription {@code migration.reverseInstance} in the source's
 * database, reading the publication and slot of that name on the destination.
 *
 * <p>PostgreSQL 14 and 15 have no {@code origin = none}: a subscription also forwards what another
 * subscription applied. Forward and reverse would loop, so the reverse instance is only created
 * while the forward subscription is disabled, and a paused forward instance is never resumed (the
 * seed's rule makes that safe).
 */
public final class PostgresProvider implements MigrationProvider {
  public static final String NAME = "postgres";
  private static final Logger log = LoggerFactory.getLogger(PostgresProvider.class);
  // Subscription names double as slot names, and slot names allow only these characters.
  private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
  private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
  // How long terminate waits for a walsender to let go of the slot it streams from.
  private static final long SLOT_RELEASE_MS = 15_000;

  @Override
  public String name() {
    return NAME;
  }

  /**
   * One direction's instance: the subscription on the side it writes to, the publication and slot
   * on the side it reads from.
   */
  record Route(
      Direction direction,
      String instance,
      PgEndpoint subscriber,
      EndpointSpec subscriberSpec,
      PgEndpoint publisher,
      EndpointSpec publisherSpec) {

    String where() {
      return "subscription "
          + instance
          + " in database "
          + subscriber.database()
          + " on the "
          + subscriber.field();
    }
  }

  static Route route(CutoverPlan plan, Direction direction) {
    MigrationSpec m = plan.migration();
    if (m == null) {
      throw invalid(
          "migration", "missing", "add migration: {provider: postgres, instance: <name>}");
    }
    boolean forward = direction == Direction.FORWARD;
    String field = forward ? "migration.instance" : "migration.reverseInstance";
    String instance = forward ? m.instance() : m.reverseInstance();
    if (instance == null || !SLOT_NAME.matcher(instance).matches()) {
      throw invalid(
          field,
          instance == null ? "missing" : "'" + instance + "' cannot name a replication slot",
          "use 1-63 lowercase letters, digits or '_' (PostgreSQL slot names allow nothing else)");
    }
    var sub = direction.to();
    var pub = direction.from();
    return new Route(
        direction,
        instance,
        PgEndpoint.of(sub.word(), plan.endpoint(sub)),
        plan.endpoint(sub),
        PgEndpoint.of(pub.word(), plan.endpoint(pub)),
        plan.endpoint(pub));
  }

  // ---------------------------------------------------------------------------------------------
  // describe

  @Override
  public InstanceState describe(MigrationContext ctx, Direction direction) {
    Route r = route(ctx.plan(), direction);
    Subscription sub;
    try (Connection c = read(ctx, r.subscriber, r.subscriberSpec)) {
      sub = Subscription.find(c, r.instance);
    } catch (SQLException e) {
      throw Pg.failure("describe " + r.where(), e);
    }
    if (sub == null) {
      return new InstanceState(
          r.instance,
          "NOT_FOUND",
          false,
          null,
          null,
          null,
          r.where() + " does not exist" + left(ctx, r));
    }
    Slot slot = null;
    if (sub.slot() != null) {
      try (Connection c = read(ctx, r.publisher, r.publisherSpec)) {
        slot = Slot.find(c, sub.slot());
      } catch (SQLException e) {
        throw Pg.failure("describe slot " + sub.slot() + " on the " + r.publisher.field(), e);
      }
    }
    return state(r, sub, slot);
  }

  /**
   * What a terminated forward instance left on the source for the operator: a publication of the
   * instance's name Switchback did not make. Empty for the reverse instance (its publication is
   * always Switchback's) and when the source cannot be read (describe must still answer).
   */
  private static String left(MigrationContext ctx, Route r) {
    if (r.direction != Direction.FORWARD) {
      return "";
    }
    try (Connection c = read(ctx, r.publisher, r.publisherSpec)) {
      return Boolean.FALSE.equals(Publication.madeBySwitchback(c, r.instance))
          ? "; " + Publication.dropAdvice(r.instance, r.publisher)
          : "";
    } catch (SQLException | RuntimeException e) {
      log.debug("cannot look for the publication {} on the source: {}", r.instance, e.toString());
      return "";
    }
  }

  private static InstanceState state(Route r, Subscription sub, Slot slot) {
    boolean incremental = sub.ready() == sub.tables();
    String status;
    if (!sub.enabled()) {
      // DISABLE only flags the catalog; the apply worker notices and exits on its own. Until it is
      // gone it may still apply, so only then is the instance PAUSED.
      status = sub.workers() == 0 ? "PAUSED" : "PAUSING";
    } else if (slot == null) {
      status = "FAILED";
    } else if (sub.applyPid() != null && slot.activePid() != null) {
      // Both ends up: an apply worker that cannot reach the publisher (a wrong host or password
      // in its connection string) restarts forever and must not pass for running.
      status = "RUNNING";
    } else {
      status = "STARTING";
    }
    Long latency = "RUNNING".equals(status) ? latency(slot) : null;
    StringBuilder detail = new StringBuilder(r.where());
    detail.append(sub.enabled() ? ": enabled" : ": disabled");
    detail
        .append(", ")
        .append(sub.ready())
        .append('/')
        .append(sub.tables())
        .append(" tables ready");
    if (sub.errors() > 0) {
      detail.append(", ").append(sub.errors()).append(" apply/sync errors (see the server log)");
    }
    if (slot == null) {
      detail.append(
          sub.slot() == null
              ? ", no slot"
              : ", slot " + sub.slot() + " missing on the " + r.publisher.field());
    } else {
      detail
          .append(", slot ")
          .append(slot.name())
          .append(" confirmed ")
          .append(slot.confirmed())
          .append(", ")
          .append(slot.lagBytes())
          .append(" bytes behind");
      if (slot.walsenderState() != null) {
        detail.append(", walsender ").append(slot.walsenderState());
      }
    }
    return new InstanceState(
        r.instance,
        status,
        incremental,
        latency,
        slot == null ? null : slot.lagBytes(),
        slot == null ? null : slot.confirmed(),
        detail.toString());
  }

  /**
   * Time behind the writer, measured on the publisher (the writer side).
   *
   * <p>Nothing is behind when the slot has confirmed all WAL written: 0. Otherwise the larger of
   * the walsender's {@code replay_lag} and the time since the subscriber last replied. replay_lag
   * alone is wrong both ways, as measured on PostgreSQL 15: while an apply worker is stalled
   * (blocked on a lock, say) it sends no replies and replay_lag keeps its last small value (0.7 ms
   * through a 6 s stall), and after catching up it keeps showing the stall (5.5 s) for up to
   * wal_receiver_status_interval. The reply age grows in real time during a stall; a healthy
   * subscriber replies as soon as it has applied what it received. It overstates for the few
   * milliseconds between a write after a quiet spell and the subscriber's reply (the reply is then
   * up to wal_receiver_status_interval old), so one high sample can be a blip; it never understates
   * a stall. The subscriber's latest_end_time / last_msg_receipt_time are no better: they only say
   * when the publisher last spoke, which it does not do on an idle system. Exactness does not rest
   * on this number: the drain is proved by position after the fence.
   */
  private static Long latency(Slot slot) {
    if (slot == null || slot.walsenderState() == null) {
      return null;
    }
    if (slot.lagBytes() != null && slot.lagBytes() <= 0) {
      return 0L;
    }
    long replay = slot.replayLagMs() == null ? 0 : slot.replayLagMs();
    long reply = slot.replyAgeMs() == null ? 0 : slot.replyAgeMs();
    return Math.max(0, Math.max(replay, reply));
  }

  // ---------------------------------------------------------------------------------------------
  // drain

  @Override
  public String writerPosition(MigrationContext ctx, Direction direction) {
    Route r = route(ctx.plan(), direction);
    try (Connection c = Pg.admin(ctx.connections(), r.publisher.field(), r.publisherSpec)) {
      // The drain point is a WAL record of our own, written after the fence, so every commit
      // acknowledged before it ends before it. pg_current_wal_lsn() would be the wrong target: it
      // is the write position, behind commits made with synchronous_commit=off that are still in
      // WAL buffers, and it can name a point no record ends at (after a page header), which an
      // idle system never confirms. The message is transactional, so a commit record follows it:
      // the walsender decodes past it even when nothing else is written, and its keepalive carries
      // the subscriber's confirmation beyond it. pgoutput does not forward it (the subscription
      // does not ask for messages), so nothing reaches the other side.
      return Pg.text(
          c,
          "SELECT pg_logical_emit_message(true, 'switchback', ?)::text",
          "drain point of " + ctx.cutoverId() + " " + direction.name().toLowerCase());
    } catch (SQLException e) {
      throw Pg.failure("take the drain point on the " + r.publisher.field(), e);
    }
  }

  @Override
  public boolean drained(MigrationContext ctx, Direction direction, String target) {
    if (target == null || !LSN.matcher(target).matches()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "drain target '" + target + "' is not a PostgreSQL LSN (X/Y)", FailureTypes.INVALID_PLAN);
    }
    Route r = route(ctx.plan(), direction);
    String slotName = slotName(ctx, r);
    try (Connection c = read(ctx, r.publisher, r.publisherSpec);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
                    + " WHERE slot_name = ?")) {
      ps.setString(1, target);
      ps.setString(2, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw ApplicationFailure.newNonRetryableFailure(
              "slot "
                  + slotName
                  + " of "
                  + r.where()
                  + " is gone from the "
                  + r.publisher.field()
                  + "; the drain cannot be proved",
              FailureTypes.INSTANCE_STATE);
        }
        // The subscriber confirms a position only once everything before it is applied and
        // flushed, so confirmed_flush_lsn >= target proves every earlier commit arrived.
        return rs.getBoolean(1);
      }
    } catch (SQLException e) {
      throw Pg.failure("read slot " + slotName + " on the " + r.publisher.field(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // pause

  @Override
  public void pause(MigrationContext ctx, Direction direction) {
    Route r = route(ctx.plan(), direction);
    try (Connection c = Pg.admin(ctx.connections(), r.subscriber.field(), r.subscriberSpec)) {
      Subscription sub = Subscription.find(c, r.instance);
      if (sub == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            "cannot pause: " + r.where() + " does not exist", FailureTypes.INSTANCE_STATE);
      }
      if (sub.enabled()) {
        Pg.exec(c, "ALTER SUBSCRIPTION " + Pg.ident(r.instance) + " DISABLE");
        log.info("paused {} (ALTER SUBSCRIPTION ... DISABLE)", r.where());
      }
      // An idle apply worker notices DISABLE only when its loop wakes up (about once a second),
      // and the write outage waits for it. Ending it now is safe: the subscription's replication
      // origin records what was committed, a disabled subscription gets no new worker, and the
      // drain was proven before the pause.
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_subscription"
                  + " WHERE subname = ? AND pid IS NOT NULL"
                  + " AND subid IN (SELECT oid FROM pg_subscription WHERE NOT subenabled)")) {
        ps.setString(1, r.instance);
        ps.execute();
      }
    } catch (SQLException e) {
      throw Pg.failure("pause " + r.where(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // reverse instance

  @Override
  public void createReverseIncremental(MigrationContext ctx) {
    Route fwd = route(ctx.plan(), Direction.FORWARD);
    Route rev = route(ctx.plan(), Direction.REVERSE);
    if (fwd.instance.equals(rev.instance)) {
      throw invalid(
          "migration.reverseInstance",
          "is the forward instance's name",
          "give the reverse instance its own name (a slot name is unique per server)");
    }
    try (Connection src = Pg.admin(ctx.connections(), rev.subscriber.field(), rev.subscriberSpec);
        Connection dst = Pg.admin(ctx.connections(), rev.publisher.field(), rev.publisherSpec)) {
      if (Subscription.find(src, rev.instance) != null) {
        log.info("reverse instance exists: {}", rev.where());
        return;
      }
      requireForwardStopped(dst, fwd);
      // Publication first: pgoutput looks the publication up as of the WAL it decodes, so a
      // publication created after the slot's start point would not be found for earlier records.
      if (!Pg.exists(dst, "SELECT 1 FROM pg_publication WHERE pubname = ?", rev.instance)) {
        createIgnoringDuplicate(
            dst, "CREATE PUBLICATION " + Pg.ident(rev.instance) + " FOR ALL TABLES");
        log.info("created publication {} on the destination", rev.instance);
      }
      // The slot is the exact point: the forward instance is drained and paused and the
      // application does not write to the destination yet, so everything after the slot's start
      // is a post-switch write and nothing before it is sent back (no replay, no duplicates).
      // A retry finds the slot made by an earlier attempt and keeps its point.
      Slot slot = Slot.find(dst, rev.instance);
      if (slot == null) {
        createIgnoringDuplicate(
            dst,
            "SELECT pg_create_logical_replication_slot("
                + Pg.literal(rev.instance)
                + ", 'pgoutput')");
        log.info("created slot {} on the destination", rev.instance);
      } else if (!"pgoutput".equals(slot.plugin())
          || !rev.publisher.database().equals(slot.database())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "a replication slot named "
                + rev.instance
                + " already exists on the destination for plugin "
                + slot.plugin()
                + " in database "
                + slot.database()
                + "; it is not this cutover's; drop it or name migration.reverseInstance"
                + " differently",
            FailureTypes.INSTANCE_STATE);
      }
      String conninfo = rev.publisher.conninfo(ctx.connections().secrets());
      // create_slot=false and copy_data=false: the slot above is the start, and everything before
      // it is already on the source. CREATE SUBSCRIPTION must run outside a transaction block.
      String sql =
          "CREATE SUBSCRIPTION "
              + Pg.ident(rev.instance)
              + " CONNECTION "
              + Pg.literal(conninfo)
              + " PUBLICATION "
              + Pg.ident(rev.instance)
              + " WITH (create_slot = false, slot_name = "
              + Pg.literal(rev.instance)
              + ", copy_data = false, enabled = true)";
      try {
        Pg.exec(src, sql);
      } catch (SQLException e) {
        if (!Pg.is(e, Pg.DUPLICATE_OBJECT)) {
          // The statement holds the password: name the connection without it.
          throw Pg.failure(
              "create "
                  + rev.where()
                  + " reading the destination ("
                  + rev.publisher.describe()
                  + ")",
              e);
        }
      }
      log.info("created reverse instance {}", rev.where());
    } catch (SQLException e) {
      throw Pg.failure("create the reverse instance " + rev.instance, e);
    }
  }

  private static void requireForwardStopped(Connection dst, Route fwd) throws SQLException {
    Subscription f = Subscription.find(dst, fwd.instance);
    if (f == null) {
      return; // terminated: nothing can loop
    }
    if (f.enabled()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "refusing to create the reverse instance: the forward "
              + fwd.where()
              + " is still enabled. PostgreSQL before 16 has no origin filter, so the reverse"
              + " instance would send the forward instance's changes back and loop; pause the"
              + " forward instance first",
          FailureTypes.INSTANCE_STATE);
    }
    if (f.workers() > 0) {
      throw ApplicationFailure.newFailure(
          "the forward "
              + fwd.where()
              + " is disabled but its apply worker has not exited yet; retrying",
          FailureTypes.INSTANCE_STATE);
    }
  }

  private static void createIgnoringDuplicate(Connection c, String sql) throws SQLException {
    try {
      Pg.exec(c, sql);
    } catch (SQLException e) {
      // A concurrent or earlier attempt made it: the state we want.
      if (!Pg.is(e, Pg.DUPLICATE_OBJECT)) {
        throw e;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // terminate

  @Override
  public void terminate(MigrationContext ctx, Direction direction) {
    Route r = route(ctx.plan(), direction);
    // Order matters for retries: the slot is dropped while the subscription still names it, so an
    // attempt that dies half-way (publisher unreachable) leaves a subscription that tells the next
    // attempt which slot to drop. A slot left behind holds WAL on the publisher until its disk
    // fills.
    Subscription sub;
    List<String> publications = new ArrayList<>(List.of(r.instance));
    try (Connection c = Pg.admin(ctx.connections(), r.subscriber.field(), r.subscriberSpec)) {
      sub = Subscription.find(c, r.instance);
      if (sub != null) {
        publications.addAll(Subscription.publications(c, sub.oid()));
      }
      if (sub != null && sub.enabled()) {
        Pg.exec(c, "ALTER SUBSCRIPTION " + Pg.ident(r.instance) + " DISABLE");
      }
    } catch (SQLException e) {
      throw Pg.failure("terminate " + r.where(), e);
    }
    List<String> slots = new ArrayList<>();
    slots.add(sub == null || sub.slot() == null ? r.instance : sub.slot());
    try (Connection c = Pg.admin(ctx.connections(), r.publisher.field(), r.publisherSpec)) {
      // Table sync slots (pg_<subid>_sync_<relid>_<sysid>) remain when a subscription dies while
      // copying.
      dropSlots(c, r, slots, sub == null ? null : sub.oid());
      if (direction == Direction.REVERSE) {
        Pg.exec(c, "DROP PUBLICATION IF EXISTS " + Pg.ident(r.instance));
      } else {
        // The forward publication is part of the instance only when setup-forward made it; an
        // operator's stays (describe names the command that drops it). Dropped before the
        // subscription, so a retry still finds its name there.
        for (String pub : publications.stream().distinct().toList()) {
          if (Boolean.TRUE.equals(Publication.madeBySwitchback(c, pub))) {
            Pg.exec(c, "DROP PUBLICATION IF EXISTS " + Pg.ident(pub));
            log.info("dropped publication {} on the {}", pub, r.publisher.field());
          }
        }
      }
    } catch (SQLException e) {
      throw Pg.failure("drop the slot of " + r.instance + " on the " + r.publisher.field(), e);
    }
    if (sub == null) {
      return;
    }
    try (Connection c = Pg.admin(ctx.connections(), r.subscriber.field(), r.subscriberSpec)) {
      String name = Pg.ident(r.instance);
      // The slot is gone: detach it (allowed only when disabled), so that DROP SUBSCRIPTION does
      // not try to drop it on the publisher.
      if (sub.slot() != null) {
        Pg.exec(c, "ALTER SUBSCRIPTION " + name + " SET (slot_name = NONE)");
      }
      Pg.exec(c, "DROP SUBSCRIPTION IF EXISTS " + name);
      log.info("terminated {}", r.where());
    } catch (SQLException e) {
      throw Pg.failure("terminate " + r.where(), e);
    }
  }

  private static void dropSlots(Connection c, Route r, List<String> names, Long subOid)
      throws SQLException {
    List<String> found = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT slot_name FROM pg_replication_slots WHERE database = current_database()"
                + " AND (slot_name = ANY (?) OR slot_name LIKE ?)")) {
      ps.setArray(1, c.createArrayOf("text", names.toArray()));
      ps.setString(2, subOid == null ? "" : "pg\\_" + subOid + "\\_sync\\_%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    for (String slot : found) {
      dropSlot(c, slot);
      log.info("dropped slot {} on the {}", slot, r.publisher.field());
    }
  }

  private static void dropSlot(Connection c, String slot) throws SQLException {
    long deadline = System.currentTimeMillis() + SLOT_RELEASE_MS;
    while (true) {
      // The walsender of a just-dropped subscription exits when its connection closes, which may
      // lag a moment; end it rather than wait for wal_sender_timeout.
      Pg.text(
          c,
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
              + " WHERE slot_name = ? AND active_pid IS NOT NULL",
          slot);
      try {
        Pg.text(
            c,
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = ?",
            slot);
        return;
      } catch (SQLException e) {
        if (!Pg.is(e, Pg.OBJECT_IN_USE) || System.currentTimeMillis() > deadline) {
          throw e;
        }
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while dropping slot " + slot, ie);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // sequences

  @Override
  public SequenceSyncResult syncSequences(MigrationContext ctx, Direction direction) {
    Route r = route(ctx.plan(), direction);
    // Logical replication carries no sequence values: copy them from the side that was written
    // (now fenced, so final) to the side that will be written next.
    return Sequences.copy(
        ctx.connections(),
        r.publisher.field(),
        r.publisherSpec,
        r.subscriber.field(),
        r.subscriberSpec);
  }

  // ---------------------------------------------------------------------------------------------
  // preflight

  @Override
  public List<PreflightCheck> preflight(MigrationContext ctx) {
    List<PreflightCheck> out = new ArrayList<>();
    Route fwd;
    Route rev;
    try {
      fwd = route(ctx.plan(), Direction.FORWARD);
      rev = route(ctx.plan(), Direction.REVERSE);
    } catch (ApplicationFailure e) {
      out.add(new PreflightCheck("postgres: plan", false, e.getOriginalMessage()));
      return out;
    }
    try (Connection src = read(ctx, fwd.publisher, fwd.publisherSpec)) {
      out.add(walLevel(src, "source", "the forward instance reads it"));
      out.add(subscriberPrivileges(src));
      out.add(workersFree(src));
    } catch (SQLException e) {
      out.add(unreachable("source", e));
    }
    if (PgTransport.encrypts(rev.publisher.sslMode())) {
      out.addAll(PgLinks.reverseTls(ctx, rev));
    }
    try (Connection dst = read(ctx, fwd.subscriber, fwd.subscriberSpec)) {
      out.add(walLevel(dst, "destination", "the reverse instance reads it"));
      Subscription sub = Subscription.find(dst, fwd.instance);
      out.add(
          new PreflightCheck(
              "postgres: forward instance",
              sub != null,
              sub == null
                  ? fwd.where()
                      + " does not exist; create it (switchback setup-forward) or fix"
                      + " migration.instance"
                  : fwd.where()
                      + " exists, "
                      + (sub.enabled() ? "enabled" : "disabled")
                      + ", "
                      + sub.ready()
                      + "/"
                      + sub.tables()
                      + " tables ready"));
      out.add(slotsFree(dst));
      out.add(publisherPrivileges(dst));
      boolean taken = Slot.find(dst, rev.instance) != null;
      out.add(
          new PreflightCheck(
              "postgres: reverse instance name free",
              !taken,
              "a slot named "
                  + rev.instance
                  + " on the destination "
                  + (taken
                      ? "exists already: drop it or name migration.reverseInstance differently"
                      : "does not exist yet")));
    } catch (SQLException e) {
      out.add(unreachable("destination", e));
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // transport

  @Override
  public List<Transport> links(MigrationContext ctx) {
    return List.of(
        PgLinks.link(ctx, route(ctx.plan(), Direction.FORWARD), "forward link"),
        PgLinks.link(ctx, route(ctx.plan(), Direction.REVERSE), "reverse link"));
  }

  private static PreflightCheck walLevel(Connection c, String side, String why)
      throws SQLException {
    String level = Pg.text(c, "SHOW wal_level");
    return new PreflightCheck(
        "postgres: wal_level on the " + side,
        "logical".equals(level),
        "wal_level is "
            + level
            + ("logical".equals(level)
                ? ""
                : "; set wal_level = logical and restart the server (" + why + ")"));
  }

  private static PreflightCheck slotsFree(Connection c) throws SQLException {
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT current_setting('max_replication_slots')::int"
                    + " - (SELECT count(*) FROM pg_replication_slots),"
                    + " current_setting('max_wal_senders')::int"
                    + " - (SELECT count(*) FROM pg_stat_replication)")) {
      rs.next();
      int slots = rs.getInt(1);
      int senders = rs.getInt(2);
      return new PreflightCheck(
          "postgres: free replication slot and walsender on the destination",
          slots >= 1 && senders >= 1,
          slots
              + " slots and "
              + senders
              + " walsenders free; the reverse instance needs one of each"
              + (slots >= 1 && senders >= 1
                  ? ""
                  : " (raise max_replication_slots / max_wal_senders and restart)"));
    }
  }

  private static PreflightCheck workersFree(Connection c) throws SQLException {
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT current_setting('max_logical_replication_workers')::int"
                    + " - (SELECT count(*) FROM pg_stat_subscription WHERE pid IS NOT NULL)")) {
      rs.next();
      int free = rs.getInt(1);
      return new PreflightCheck(
          "postgres: free logical replication worker on the source",
          free >= 1,
          free
              + " free; the reverse instance's apply worker needs one"
              + (free >= 1 ? "" : " (raise max_logical_replication_workers and restart)"));
    }
  }

  // The reverse instance is a CREATE SUBSCRIPTION on the source: superuser only before 16, then
  // pg_create_subscription with CREATE on the database.
  private static PreflightCheck subscriberPrivileges(Connection c) throws SQLException {
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT r.rolsuper, current_setting('server_version_num')::int,"
                    + " has_database_privilege(current_database(), 'CREATE'),"
                    + " current_setting('server_version_num')::int >= 160000"
                    + " AND pg_has_role('pg_create_subscription', 'MEMBER'),"
                    + " current_user FROM pg_roles r WHERE r.rolname = current_user")) {
      rs.next();
      boolean superuser = rs.getBoolean(1);
      int version = rs.getInt(2);
      boolean ok = superuser || (rs.getBoolean(3) && rs.getBoolean(4));
      String user = rs.getString(5);
      return new PreflightCheck(
          "postgres: privileges on the source",
          ok,
          user
              + (superuser ? " is superuser" : " is not superuser")
              + (ok
                  ? ""
                  : version < 160000
                      ? "; PostgreSQL "
                          + version / 10000
                          + " lets only superusers CREATE SUBSCRIPTION (the reverse instance)"
                      : "; grant pg_create_subscription and CREATE on the database"));
    }
  }

  // The reverse publication is FOR ALL TABLES (superuser only, every version) and its slot needs
  // REPLICATION; terminating the forward instance drops a slot (REPLICATION too).
  private static PreflightCheck publisherPrivileges(Connection c) throws SQLException {
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT rolsuper, rolreplication, current_user FROM pg_roles"
                    + " WHERE rolname = current_user")) {
      rs.next();
      boolean superuser = rs.getBoolean(1);
      return new PreflightCheck(
          "postgres: privileges on the destination",
          superuser,
          rs.getString(3)
              + (superuser
                  ? " is superuser"
                  : " is not superuser: CREATE PUBLICATION ... FOR ALL TABLES (the reverse"
                      + " instance) needs a superuser"));
    }
  }

  private static PreflightCheck unreachable(String side, SQLException e) {
    return new PreflightCheck(
        "postgres: " + side + " reachable", false, e.getMessage() + " (" + e.getSQLState() + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private static String slotName(MigrationContext ctx, Route r) {
    try (Connection c = read(ctx, r.subscriber, r.subscriberSpec)) {
      Subscription sub = Subscription.find(c, r.instance);
      if (sub == null || sub.slot() == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            r.where()
                + (sub == null ? " does not exist" : " has no slot")
                + "; the drain cannot be proved",
            FailureTypes.INSTANCE_STATE);
      }
      return sub.slot();
    } catch (SQLException e) {
      throw Pg.failure("read " + r.where(), e);
    }
  }

  private static Connection read(MigrationContext ctx, PgEndpoint at, EndpointSpec spec)
      throws SQLException {
    return ctx.connections().connection(at.field(), spec);
  }

  private static ApplicationFailure invalid(String field, String problem, String fix) {
    return ApplicationFailure.newNonRetryableFailure(
        field + ": " + problem + "; " + fix, FailureTypes.INVALID_PLAN);
  }
}
