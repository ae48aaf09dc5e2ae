package dev.switchback.activities.validation;

import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * One side's validation sessions: a control connection (catalog, and on PostgreSQL the snapshot
 * every other session imports) and one connection per worker. They are opened here rather than
 * taken from the shared pool: they change session settings and hold a transaction for the whole
 * validation, and the pool is sized for short admin calls.
 */
final class SideConnections implements AutoCloseable {
  final String field;
  final Connection control;
  final List<Connection> workers;
  final String defaultSchema;
  final long byteBudget;
  final String snapshotNote;

  private SideConnections(
      String field,
      Connection control,
      List<Connection> workers,
      String defaultSchema,
      long byteBudget,
      String snapshotNote) {
    this.field = field;
    this.control = control;
    this.workers = workers;
    this.defaultSchema = defaultSchema;
    this.byteBudget = byteBudget;
    this.snapshotNote = snapshotNote;
  }

  static SideConnections open(
      ValidationDialect dialect, String field, EndpointSpec endpoint, Secrets secrets, int workers)
      throws SQLException {
    Properties props = dialect.connectionProperties(endpoint.url());
    if (endpoint.user() != null) {
      props.setProperty("user", endpoint.user());
    }
    String password = secrets.resolve(field + ".password", endpoint.password());
    if (password != null) {
      props.setProperty("password", password);
    }
    List<Connection> opened = new ArrayList<>();
    try {
      for (int i = 0; i <= workers; i++) {
        Connection c = DriverManager.getConnection(endpoint.url(), props);
        opened.add(c);
        dialect.prepare(c);
      }
      Connection control = opened.get(0);
      String schema = dialect.defaultSchema(control);
      long budget = dialect.rangeByteBudget(control);
      List<Connection> lanes = List.copyOf(opened.subList(1, opened.size()));
      String note = dialect.beginSnapshot(control, lanes);
      return new SideConnections(field, control, lanes, schema, budget, note);
    } catch (SQLException | RuntimeException e) {
      opened.forEach(SideConnections::quietClose);
      throw e;
    }
  }

  @Override
  public void close() {
    quietClose(control);
    workers.forEach(SideConnections::quietClose);
  }

  private static void quietClose(Connection c) {
    try {
      if (!c.getAutoCommit()) {
        c.rollback();
      }
    } catch (SQLException ignored) {
      // The session is going away either way.
    }
    try {
      c.close();
    } catch (SQLException ignored) {
      // Nothing left to release.
    }
  }
}
