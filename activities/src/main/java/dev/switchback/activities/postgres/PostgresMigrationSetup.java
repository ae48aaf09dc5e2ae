package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Direction;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the forward instance for teams without a migration service: a publication {@code FOR ALL
 * TABLES} and a slot on the source, and a subscription with the initial copy on the destination,
 * all named {@code migration.instance}. The schema must already exist on the destination (logical
 * replication carries rows, not DDL). Idempotent: a rerun finds what exists and completes the rest.
 */
public final class PostgresMigrationSetup {
  private static final Logger log = LoggerFactory.getLogger(PostgresMigrationSetup.class);

  private PostgresMigrationSetup() {}

  /**
   * Creates the forward instance if it does not exist.
   *
   * @return what was done, for humans
   */
  public static String createForward(Connections connections, CutoverPlan plan) {
    PostgresProvider.Route r = PostgresProvider.route(plan, Direction.FORWARD);
    String name = r.instance();
    try (Connection src = Pg.admin(connections, r.publisher().field(), r.publisherSpec());
        Connection dst = Pg.admin(connections, r.subscriber().field(), r.subscriberSpec())) {
      if (Subscription.find(dst, name) != null) {
        return r.where() + " exists already; nothing to do";
      }
      // Every check before the first side effect.
      String level = Pg.text(src, "SHOW wal_level");
      if (!"logical".equals(level)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the source has wal_level = "
                + level
                + "; set wal_level = logical in its postgresql.conf and restart it",
            FailureTypes.INSTANCE_STATE);
      }
      requireSchema(src, dst, r);
      List<String> done = new ArrayList<>();
      // A publication made here is marked as ours, so terminating the instance drops it; one the
      // operator made before is used as it is and left to them.
      if (Publication.madeBySwitchback(src, name) == null) {
        try {
          Publication.createMarked(src, name);
        } catch (SQLException e) {
          if (!Pg.is(e, Pg.DUPLICATE_OBJECT)) {
            throw e;
          }
        }
        done.add("publication " + name + " on the source");
      }
      // The slot is made here rather than by CREATE SUBSCRIPTION: a rerun after a failure finds it
      // instead of failing on "slot already exists", and it works when source and destination are
      // databases of one server, where CREATE SUBSCRIPTION ... create_slot would wait on itself.
      Slot slot = Slot.find(src, name);
      if (slot == null) {
        ignoreDuplicate(
            src, "SELECT pg_create_logical_replication_slot(" + Pg.literal(name) + ", 'pgoutput')");
        done.add("slot " + name + " on the source");
      } else if (!"pgoutput".equals(slot.plugin())
          || !r.publisher().database().equals(slot.database())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "a replication slot named "
                + name
                + " exists on the source for "
                + slot.plugin()
                + " in database "
                + slot.database()
                + "; drop it or choose another migration.instance",
            FailureTypes.INSTANCE_STATE);
      }
      String conninfo = r.publisher().conninfo(connections.secrets());
      try {
        Pg.exec(
            dst,
            "CREATE SUBSCRIPTION "
                + Pg.ident(name)
                + " CONNECTION "
                + Pg.literal(conninfo)
                + " PUBLICATION "
                + Pg.ident(name)
                + " WITH (create_slot = false, slot_name = "
                + Pg.literal(name)
                + ", copy_data = true, enabled = true)");
      } catch (SQLException e) {
        if (!Pg.is(e, Pg.DUPLICATE_OBJECT)) {
          // The statement holds the password: name the connection without it.
          throw Pg.failure(
              "create " + r.where() + " reading the source (" + r.publisher().describe() + ")", e);
        }
      }
      done.add(r.where() + " with the initial copy");
      log.info("created forward instance: {}", done);
      return "created " + String.join(", ", done);
    } catch (SQLException e) {
      throw Pg.failure("create the forward instance " + name, e);
    }
  }

  /**
   * The destination must have every table the publication will carry, with every column, and those
   * tables must be empty: the initial copy inserts every row again.
   */
  private static void requireSchema(Connection src, Connection dst, PostgresProvider.Route r)
      throws SQLException {
    Map<Table, TreeSet<String>> source = columns(src);
    Map<Table, TreeSet<String>> destination = columns(dst);
    List<String> problems = new ArrayList<>();
    for (var e : source.entrySet()) {
      TreeSet<String> have = destination.get(e.getKey());
      if (have == null) {
        problems.add("table " + e.getKey() + " is missing");
        continue;
      }
      TreeSet<String> lacking = new TreeSet<>(e.getValue());
      lacking.removeAll(have);
      if (!lacking.isEmpty()) {
        problems.add("table " + e.getKey() + " lacks columns " + lacking);
      } else if (Pg.exists(dst, "SELECT 1 FROM " + e.getKey().quoted() + " LIMIT 1")) {
        problems.add("table " + e.getKey() + " already has rows");
      }
    }
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the destination database "
              + r.subscriber().database()
              + " is not ready for the initial copy: "
              + String.join("; ", problems)
              + ". Create the schema there first and leave the tables empty, e.g. pg_dump"
              + " --schema-only "
              + r.publisher().database()
              + " | psql "
              + r.subscriber().database(),
          FailureTypes.INVALID_PLAN);
    }
  }

  private record Table(String schema, String name) implements Comparable<Table> {
    String quoted() {
      return Pg.ident(schema) + "." + Pg.ident(name);
    }

    @Override
    public int compareTo(Table o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return schema + "." + name;
    }
  }

  // The tables a FOR ALL TABLES publication carries: permanent plain tables and partitions.
  private static Map<Table, TreeSet<String>> columns(Connection c) throws SQLException {
    Map<Table, TreeSet<String>> out = new TreeMap<>();
    try (ResultSet rs =
        c.createStatement()
            .executeQuery(
                "SELECT n.nspname, c.relname, a.attname FROM pg_class c"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                    + "   AND NOT a.attisdropped AND a.attgenerated = ''"
                    + " WHERE c.relkind = 'r' AND c.relpersistence = 'p' AND "
                    + Pg.SYSTEM_SCHEMA_FILTER)) {
      while (rs.next()) {
        TreeSet<String> cols =
            out.computeIfAbsent(new Table(rs.getString(1), rs.getString(2)), k -> new TreeSet<>());
        if (rs.getString(3) != null) {
          cols.add(rs.getString(3));
        }
      }
    }
    return out;
  }

  private static void ignoreDuplicate(Connection c, String sql) throws SQLException {
    try {
      Pg.exec(c, sql);
    } catch (SQLException e) {
      if (!Pg.is(e, Pg.DUPLICATE_OBJECT)) {
        throw e;
      }
    }
  }
}
