package dev.switchback.demo;

import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.messages.values.Side;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The fault suite on PostgreSQL: clusters swfsrc (5435) and swfdst (5436). */
final class PostgresFaultLab implements FaultLab {
  private static final int SOURCE_PORT = 5435;
  private static final int DESTINATION_PORT = 5436;
  private final PostgresDemoLab demo =
      new PostgresDemoLab("127.0.0.1", SOURCE_PORT, DESTINATION_PORT, null);

  @Override
  public String engine() {
    return "postgres";
  }

  @Override
  public DemoLab demo() {
    return demo;
  }

  @Override
  public MigrationProvider provider() {
    return new PostgresProvider();
  }

  private static String url(Side side) {
    return "jdbc:postgresql://127.0.0.1:"
        + (side == Side.SOURCE ? SOURCE_PORT : DESTINATION_PORT)
        + "/"
        + PostgresDemoLab.DATABASE
        + "?ApplicationName=switchback-faults&connectTimeout=5";
  }

  @Override
  public Connection admin(Side side) throws SQLException {
    return DriverManager.getConnection(url(side), "postgres", null);
  }

  /**
   * An open read-write transaction on the side, past any fence (default_transaction_read_only is
   * the fence; this admin session turns it off for itself).
   */
  private Hold transaction(Side side, String statement, String what) throws SQLException {
    Connection c = admin(side);
    try (Statement s = c.createStatement()) {
      s.execute("SET default_transaction_read_only = off");
      c.setAutoCommit(false);
      s.execute(statement);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new Hold(c, null, what + " on the " + side.word());
  }

  @Override
  public Hold lockOrders(Side side) throws SQLException {
    // SHARE conflicts with the ROW EXCLUSIVE every insert takes, and lets readers through.
    return transaction(side, "LOCK TABLE orders IN SHARE MODE", "LOCK TABLE orders IN SHARE MODE");
  }

  @Override
  public Hold holdReverseStart() throws SQLException {
    // Creating the reverse subscription's slot on the destination waits for every transaction
    // that holds an xid there to end (the slot needs a consistent snapshot).
    return transaction(
        Side.DESTINATION, "SELECT pg_current_xact_id()", "a transaction with an xid left open");
  }

  @Override
  public Hold holdFinalize() throws SQLException {
    // DROP SUBSCRIPTION (terminating the reverse instance) takes ROW EXCLUSIVE on pg_subscription;
    // SHARE blocks it and lets the catalog's readers through.
    return transaction(
        Side.SOURCE,
        "LOCK TABLE pg_catalog.pg_subscription IN SHARE MODE",
        "LOCK TABLE pg_subscription IN SHARE MODE");
  }

  @Override
  public String sleepSql(int seconds) {
    return "SELECT count(*) FROM pg_sleep(" + seconds + ")";
  }

  @Override
  public String sleepResult() {
    return "1";
  }

  @Override
  public List<String> replicationObjects() throws SQLException {
    List<String> out = new ArrayList<>();
    for (Side side : Side.values()) {
      try (Connection c = admin(side);
          Statement s = c.createStatement()) {
        add(
            out,
            side,
            "subscription",
            s,
            "SELECT subname FROM pg_subscription WHERE subdbid ="
                + " (SELECT oid FROM pg_database WHERE datname = current_database())");
        add(
            out,
            side,
            "slot",
            s,
            "SELECT slot_name FROM pg_replication_slots WHERE database = current_database()");
        add(out, side, "publication", s, "SELECT pubname FROM pg_publication");
      }
    }
    return out;
  }

  private static void add(List<String> out, Side side, String kind, Statement s, String sql)
      throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(side.word() + ": " + kind + " " + rs.getString(1));
      }
    }
  }

  @Override
  public boolean applicationCanWrite(Side side) throws SQLException {
    // The fence is the database's default for the application's sessions: ask as the application.
    try (Connection c = DriverManager.getConnection(url(side), PostgresDemoLab.APP_ROLE, null);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW default_transaction_read_only")) {
      rs.next();
      return "off".equals(rs.getString(1));
    }
  }
}
