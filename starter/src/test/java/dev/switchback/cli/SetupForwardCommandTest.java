package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code switchback setup-forward} against the PostgreSQL lab clusters. */
class SetupForwardCommandTest {
  private static final String DB = "sb_setup_fwd";
  @TempDir Path dir;

  private static Connection admin(int port, String db) throws SQLException {
    try {
      return DriverManager.getConnection(
          "jdbc:postgresql://127.0.0.1:" + port + "/" + db, "postgres", null);
    } catch (SQLException e) {
      throw new SQLException(
          "start the lab: deploy/lab/lab.sh start postgres (" + e.getMessage() + ")", e);
    }
  }

  private static String plan(String provider) {
    return """
        name: setup-fwd
        migration:
          provider: %s
          instance: sb_setup_fwd
        source:
          engine: postgres
          url: jdbc:postgresql://127.0.0.1:5433/%s
          user: postgres
        destination:
          engine: postgres
          url: jdbc:postgresql://127.0.0.1:5434/%s
          user: postgres
        # PostgreSQL 15 creates subscriptions only as a superuser: the admin account is the
        # migration account, so finalize must leave its writes alone.
        migrationAccount:
          user: postgres
          revokeAtFinalize: false
        approvers: [alice]
        approvals: unsigned
        """
        .formatted(provider, DB, DB);
  }

  @Test
  void createsTheForwardSubscriptionWithTheInitialCopyAndLeavesAnExistingOneAlone()
      throws Exception {
    for (int port : new int[] {5433, 5434}) {
      try (Connection c = admin(port, "postgres");
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
        s.execute("CREATE DATABASE " + DB);
      }
      try (Connection c = admin(port, DB);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
        if (port == 5433) {
          s.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g");
        }
      }
    }
    Path file = Plans.write(dir, "plan.yaml", plan("postgres"));
    Cli.Result first = Cli.run("setup-forward", file.toString(), "--json");
    assertEquals(0, first.exitCode(), first.toString());
    assertTrue(first.out().contains("subscription sb_setup_fwd"), first.toString());
    long deadline = System.currentTimeMillis() + 60_000;
    long copied = 0;
    while (System.currentTimeMillis() < deadline && copied < 500) {
      try (Connection c = admin(5434, DB);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM items")) {
        rs.next();
        copied = rs.getLong(1);
      }
      Thread.sleep(100);
    }
    assertEquals(500, copied, "the initial copy reached the destination");
    Cli.Result again = Cli.run("setup-forward", file.toString());
    assertEquals(0, again.exitCode(), again.toString());
    assertTrue(again.out().contains("exists already"), again.toString());
  }

  @Test
  void aProviderThatCreatesItsOwnInstanceIsRefusedAsBadInput() {
    Path file = Plans.write(dir, "dts.yaml", plan("dts"));
    Cli.Result r = Cli.run("setup-forward", file.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("created by the migration service itself"), r.toString());
  }

  @AfterEach
  void dropEverything() throws Exception {
    try (Connection c = admin(5434, "postgres");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DB + "'")) {
      if (rs.next()) {
        try (Connection d = admin(5434, DB);
            Statement ds = d.createStatement();
            ResultSet sub =
                ds.executeQuery("SELECT 1 FROM pg_subscription WHERE subname = 'sb_setup_fwd'")) {
          if (sub.next()) {
            ds.execute("ALTER SUBSCRIPTION sb_setup_fwd DISABLE");
            ds.execute("ALTER SUBSCRIPTION sb_setup_fwd SET (slot_name = NONE)");
            ds.execute("DROP SUBSCRIPTION sb_setup_fwd");
          }
        }
      }
    }
    for (int port : new int[] {5433, 5434}) {
      try (Connection c = admin(port, "postgres");
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '"
                + DB
                + "' AND active_pid IS NOT NULL");
        Thread.sleep(200);
        s.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
                + DB
                + "' AND NOT active");
        s.execute("DROP DATABASE IF EXISTS " + DB + " WITH (FORCE)");
      }
    }
  }
}
