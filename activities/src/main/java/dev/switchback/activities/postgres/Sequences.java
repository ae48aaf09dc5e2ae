package dev.switchback.activities.postgres;

import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.SequenceSyncResult;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sequence values, which logical replication does not carry. */
final class Sequences {
  private static final Logger log = LoggerFactory.getLogger(Sequences.class);

  private Sequences() {}

  private record Value(String schema, String name, long lastValue, boolean called) {
    String qualified() {
      return Pg.ident(schema) + "." + Pg.ident(name);
    }
  }

  /**
   * Copies {@code last_value} and {@code is_called} of every sequence outside the system schemas
   * from one endpoint to the other, as pgcopydb does: the next {@code nextval()} on the target
   * returns what it would have returned on the writer, not merely something above the rows'
   * maximum. Sequences missing on the target are named in the result.
   */
  static SequenceSyncResult copy(
      Connections connections,
      String fromField,
      EndpointSpec from,
      String toField,
      EndpointSpec to) {
    List<Value> values = new ArrayList<>();
    try (Connection c = connections.connection(fromField, from)) {
      List<String[]> names = new ArrayList<>();
      try (ResultSet rs =
          c.createStatement()
              .executeQuery(
                  "SELECT n.nspname, c.relname FROM pg_class c"
                      + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                      + " WHERE c.relkind = 'S' AND "
                      + Pg.SYSTEM_SCHEMA_FILTER
                      + " ORDER BY 1, 2")) {
        while (rs.next()) {
          names.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      for (String[] n : names) {
        String q = Pg.ident(n[0]) + "." + Pg.ident(n[1]);
        try (ResultSet rs =
            c.createStatement().executeQuery("SELECT last_value, is_called FROM " + q)) {
          rs.next();
          values.add(new Value(n[0], n[1], rs.getLong(1), rs.getBoolean(2)));
        }
      }
    } catch (SQLException e) {
      throw Pg.failure("read sequences on the " + fromField, e);
    }
    int synced = 0;
    List<String> missing = new ArrayList<>();
    // Admin session: the target may still be fenced (setval is refused in a read-only
    // transaction), and the values must land before the application writes there.
    try (Connection c = Pg.admin(connections, toField, to);
        PreparedStatement exists = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL");
        PreparedStatement set = c.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
      for (Value v : values) {
        exists.setString(1, v.qualified());
        try (ResultSet rs = exists.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            missing.add(v.schema() + "." + v.name());
            continue;
          }
        }
        set.setString(1, v.qualified());
        set.setLong(2, v.lastValue());
        set.setBoolean(3, v.called());
        set.executeQuery().close();
        synced++;
      }
    } catch (SQLException e) {
      throw Pg.failure("set sequences on the " + toField, e);
    }
    String detail =
        "copied "
            + synced
            + " of "
            + values.size()
            + " sequences from the "
            + fromField
            + " to the "
            + toField;
    if (!missing.isEmpty()) {
      detail += "; missing on the " + toField + ": " + String.join(", ", missing);
      log.warn(detail);
    }
    return new SequenceSyncResult(synced, detail);
  }
}
