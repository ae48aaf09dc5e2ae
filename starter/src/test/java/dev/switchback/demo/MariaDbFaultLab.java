package dev.switchback.demo;

import dev.switchback.activities.mysql.MySqlProvider;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.messages.values.Side;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The fault suite on MariaDB: servers 3309 (source) and 3310 (destination). */
final class MariaDbFaultLab implements FaultLab {
  private static final int SOURCE_PORT = 3309;
  private static final int DESTINATION_PORT = 3310;
  private final MariaDbDemoLab demo;

  MariaDbFaultLab(Path dir) throws IOException {
    Path secret = dir.resolve("replication-password");
    Files.writeString(secret, "faults-repl-" + Long.toHexString(System.nanoTime()));
    demo = new MariaDbDemoLab("127.0.0.1", SOURCE_PORT, DESTINATION_PORT, secret);
  }

  @Override
  public String engine() {
    return "mariadb";
  }

  @Override
  public DemoLab demo() {
    return demo;
  }

  @Override
  public MigrationProvider provider() {
    return new MySqlProvider("mariadb");
  }

  @Override
  public void afterForward() throws SQLException {
    // A migration account that can write, as most have: finalize then has writes to revoke, and
    // the revoke is a real statement a lock can hold.
    for (Side side : Side.values()) {
      try (Connection c = admin(side);
          Statement s = c.createStatement()) {
        s.execute("SET SESSION sql_log_bin = 0");
        s.execute(
            "GRANT INSERT, UPDATE, DELETE ON "
                + MariaDbDemoLab.DATABASE
                + ".* TO '"
                + MariaDbDemoLab.MIGRATOR
                + "'@'%'");
      }
    }
  }

  @Override
  public Connection admin(Side side) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://127.0.0.1:"
            + (side == Side.SOURCE ? SOURCE_PORT : DESTINATION_PORT)
            + "/"
            + MariaDbDemoLab.DATABASE
            + "?connectTimeout=5000",
        "root",
        null);
  }

  private Hold lock(Side side, String statement, String release) throws SQLException {
    Connection c = admin(side);
    try (Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return new Hold(c, release, statement + " on the " + side.word());
  }

  @Override
  public Hold lockOrders(Side side) throws SQLException {
    return lock(side, "LOCK TABLES orders READ", "UNLOCK TABLES");
  }

  @Override
  public Hold holdReverseStart() throws SQLException {
    // The reverse instance's start position is written with SET GLOBAL gtid_slave_pos, which
    // rewrites this table on the old source.
    return lock(Side.SOURCE, "LOCK TABLES mysql.gtid_slave_pos READ", "UNLOCK TABLES");
  }

  @Override
  public Hold holdFinalize() throws SQLException {
    // REVOKE waits for the global read lock (finalize revokes the migration account's writes).
    return lock(Side.SOURCE, "FLUSH TABLES WITH READ LOCK", "UNLOCK TABLES");
  }

  @Override
  public String sleepSql(int seconds) {
    return "SELECT SLEEP(" + seconds + ")";
  }

  @Override
  public String sleepResult() {
    return "0";
  }

  @Override
  public List<String> replicationObjects() throws SQLException {
    List<String> out = new ArrayList<>();
    for (Side side : Side.values()) {
      try (Connection c = admin(side);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SHOW ALL SLAVES STATUS")) {
        while (rs.next()) {
          out.add(side.word() + ": replication connection " + rs.getString("Connection_name"));
        }
      }
    }
    return out;
  }

  @Override
  public boolean applicationCanWrite(Side side) throws SQLException {
    // The application's account has no READ_ONLY ADMIN: read_only fences it.
    try (Connection c = admin(side);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@GLOBAL.read_only")) {
      rs.next();
      return rs.getInt(1) == 0;
    }
  }
}
