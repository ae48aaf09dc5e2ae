package dev.switchback.activities.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a subscription reads, against the real PostgreSQL on 127.0.0.1:5432 (trust): a subscription
 * created without connecting has no apply worker, and reads so (the pid was read as 0, never null,
 * so "no apply worker" could pass for one).
 */
class SubscriptionTest {
  private static final String SERVER = "jdbc:postgresql://127.0.0.1:5432/";
  private final String db =
      "sb_subtest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);

  @BeforeEach
  void create() throws Exception {
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
  }

  @AfterEach
  void drop() throws Exception {
    try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", "");
        Statement s = c.createStatement()) {
      if (Subscription.find(c, "sb_probe") != null) {
        // Never connected: there is no slot on the publisher to drop.
        s.execute("ALTER SUBSCRIPTION sb_probe SET (slot_name = NONE)");
        s.execute("DROP SUBSCRIPTION sb_probe");
      }
    }
    try (Connection c = DriverManager.getConnection(SERVER + "postgres", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + db);
    }
  }

  @Test
  void aSubscriptionWithoutAnApplyWorkerHasNoApplyPid() throws Exception {
    try (Connection c = DriverManager.getConnection(SERVER + db, "postgres", "");
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE SUBSCRIPTION sb_probe CONNECTION 'host=127.0.0.1 port=5432 dbname="
              + db
              + " user=postgres' PUBLICATION sb_none WITH (connect = false)");
      Subscription sub = Subscription.find(c, "sb_probe");
      assertNotNull(sub);
      assertFalse(sub.enabled());
      assertEquals(0, sub.workers());
      assertNull(sub.applyPid(), "no apply worker runs: " + sub);
    }
  }
}
