package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.support.Await;
import dev.switchback.demo.OrdersApp.Endpoint;
import dev.switchback.messages.values.Side;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The same application over the MariaDB on 127.0.0.1:3306: nothing in it is PostgreSQL's. */
class OrdersAppMariaDbTest {
  static final String ADMIN = "jdbc:mariadb://127.0.0.1:3306/";

  static void admin(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(ADMIN, "root", null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static List<String> orderNos(Endpoint e) throws SQLException {
    List<String> out = new java.util.ArrayList<>();
    try (Connection c = DriverManager.getConnection(e.jdbcUrl(), e.user(), e.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT order_no FROM orders")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  @Test
  void writesMoveFromSourceToDestinationWithoutLossOrDuplicate() throws Exception {
    for (String db : List.of("sb_cli_orders_src", "sb_cli_orders_dst")) {
      admin("DROP DATABASE IF EXISTS " + db);
      admin("CREATE DATABASE " + db);
    }
    Endpoint source = new Endpoint(ADMIN + "sb_cli_orders_src", "root", null);
    Endpoint destination = new Endpoint(ADMIN + "sb_cli_orders_dst", "root", null);
    OrdersApp.createSchema(source);
    OrdersApp.createSchema(destination);
    OrdersApp app =
        OrdersApp.start(
            OrdersApp.Config.of(source, destination)
                .withRate(4, 200)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(10)));
    try {
      Await.until(
          "100 acknowledged writes on the source",
          Duration.ofSeconds(30),
          () -> app.stats().acknowledged() >= 100);
      assertEquals(0, app.quiesce().inFlight());
      app.point(Side.DESTINATION);
      app.resume();
      Await.until(
          "100 acknowledged writes on the destination",
          Duration.ofSeconds(30),
          () -> app.stats().acknowledgedOnDestination() >= 100);
    } finally {
      app.close();
    }
    List<String> rows = new java.util.ArrayList<>(orderNos(source));
    rows.addAll(orderNos(destination));
    Set<String> distinct = new HashSet<>(rows);
    assertEquals(rows.size(), distinct.size(), "no order written twice");
    assertEquals(app.acknowledgedOrders(), distinct, "exactly the acknowledged orders");
    assertEquals(0, app.stats().failed());
    assertTrue(orderNos(destination).size() >= 100);
  }
}
