package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.activities.support.Await;
import dev.switchback.demo.OrdersApp.Endpoint;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo application against the real PostgreSQL on 127.0.0.1:5432, with two scratch databases as
 * source and destination.
 */
class OrdersAppTest {
  static final String ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres";
  static final String SOURCE_DB = "sb_cli_orders_src";
  static final String DESTINATION_DB = "sb_cli_orders_dst";
  static final ObjectMapper JSON = new ObjectMapper();

  final HttpClient http = HttpClient.newHttpClient();
  Endpoint source;
  Endpoint destination;
  OrdersApp app;

  static void admin(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(ADMIN, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @BeforeEach
  void scratchDatabases() throws Exception {
    for (String db : List.of(SOURCE_DB, DESTINATION_DB)) {
      admin("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      admin("CREATE DATABASE " + db);
    }
    source = new Endpoint("jdbc:postgresql://127.0.0.1:5432/" + SOURCE_DB, "postgres", null);
    destination =
        new Endpoint("jdbc:postgresql://127.0.0.1:5432/" + DESTINATION_DB, "postgres", null);
    OrdersApp.createSchema(source);
    OrdersApp.createSchema(destination);
    OrdersApp.createSchema(source);
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    admin("ALTER DATABASE " + SOURCE_DB + " RESET default_transaction_read_only");
  }

  private OrdersApp start(String token) throws Exception {
    app =
        OrdersApp.start(
            OrdersApp.Config.of(source, destination)
                .withRate(4, 200)
                .withEndpoint("127.0.0.1", 0, token)
                .withTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(10)));
    return app;
  }

  private static List<String> orderNos(Endpoint e) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(e.jdbcUrl(), e.user(), e.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT order_no FROM orders")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static long count(Endpoint e) throws SQLException {
    return orderNos(e).size();
  }

  /** A request signed with the application's key, as the webhook router sends it. */
  private HttpResponse<String> call(String method, String action, String body, String token)
      throws Exception {
    HttpRequest.Builder b = SignedCalls.request(app, method, action, body, SignedCalls.now());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode ok(String method, String action, String body) throws Exception {
    HttpResponse<String> r = call(method, action, body, null);
    assertEquals(200, r.statusCode(), action + ": " + r.body());
    return JSON.readTree(r.body());
  }

  private static void await(String what, LongSupplier value, long atLeast) {
    Await.until(
        what + " to reach " + atLeast, Duration.ofSeconds(30), value::getAsLong, v -> v >= atLeast);
  }

  private static LongSupplier rows(Endpoint e) {
    return () -> {
      try {
        return count(e);
      } catch (SQLException ex) {
        throw new IllegalStateException(ex);
      }
    };
  }

  /** Every acknowledged order is in exactly one row across both sides, and no row is unacked. */
  private void assertNoLossNoDuplicate() throws SQLException {
    Map<String, Integer> seen = new HashMap<>();
    for (Endpoint e : List.of(source, destination)) {
      for (String o : orderNos(e)) {
        seen.merge(o, 1, Integer::sum);
      }
    }
    Set<String> acked = app.acknowledgedOrders();
    Set<String> duplicated = new HashSet<>();
    seen.forEach(
        (o, n) -> {
          if (n > 1) {
            duplicated.add(o);
          }
        });
    assertEquals(Set.of(), duplicated, "orders written twice");
    Set<String> lost = new HashSet<>(acked);
    lost.removeAll(seen.keySet());
    assertEquals(Set.of(), lost, "acknowledged orders missing from both sides");
    assertEquals(acked, seen.keySet(), "rows nobody acknowledged");
  }

  @Test
  void writesLandQuiesceHoldsThemAndPointThenResumeMovesThemToTheDestination() throws Exception {
    start(null);
    await("source rows", rows(source), 100);
    assertEquals(0, count(destination));

    JsonNode quiesced = ok("POST", "quiesce", null);
    assertEquals("source", quiesced.get("target").asText());
    assertTrue(quiesced.get("quiesced").asBoolean());
    assertEquals(0, quiesced.get("inFlight").asInt());
    assertEquals(3, quiesced.size(), "state is exactly target, quiesced, inFlight");

    long held = count(source);
    // A window, not a wait for a condition: nothing may land during it however long it lasts, and
    // the writers must see the hold (longest stall, below).
    Thread.sleep(1000);
    assertEquals(held, count(source), "no write may land while quiesced");
    assertEquals(held, app.stats().acknowledged(), "every acknowledged write is on the source");
    assertEquals(0, app.stats().failed(), "held writes block, they do not fail");

    JsonNode pointed = ok("POST", "point", "{\"target\":\"destination\"}");
    assertEquals("destination", pointed.get("target").asText());
    assertTrue(pointed.get("quiesced").asBoolean());
    assertEquals(0, count(destination), "pointing does not release the writes");

    JsonNode resumed = ok("POST", "resume", null);
    assertEquals(false, resumed.get("quiesced").asBoolean());
    await("destination rows", rows(destination), 100);
    assertEquals(held, count(source), "after the switch nothing is written to the source");

    JsonNode state = ok("GET", "state", null);
    assertEquals("destination", state.get("target").asText());

    app.close();
    OrdersApp.Stats stats = app.stats();
    assertEquals(0, stats.failed());
    assertEquals(held, stats.acknowledgedOnSource());
    assertEquals(count(destination), stats.acknowledgedOnDestination());
    assertEquals(count(source) + count(destination), stats.acknowledged());
    assertTrue(
        stats.longestStallMs() >= 1000,
        "the writers were held for more than a second and must have seen it: " + stats);
    assertNoLossNoDuplicate();
    app = null;
    System.out.println("switch: " + stats);
  }

  @Test
  void killedSessionsAreRetriedWithoutFailureOrDuplicate() throws Exception {
    start(null);
    await("source rows", rows(source), 50);
    for (int i = 0; i < 5; i++) {
      admin(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
              + SOURCE_DB
              + "' AND application_name = '"
              + OrdersApp.APPLICATION_NAME
              + "'");
      // The next kill must meet new sessions: wait until the writers are writing again.
      long acknowledged = app.stats().acknowledged();
      await(
          "acknowledged after kill " + (i + 1), () -> app.stats().acknowledged(), acknowledged + 5);
    }
    long before = app.stats().acknowledged();
    await("acknowledged after the kills", () -> app.stats().acknowledged(), before + 100);
    app.close();
    OrdersApp.Stats stats = app.stats();
    assertEquals(0, stats.failed(), stats.toString());
    assertTrue(stats.retries() > 0, "the kills must have hit writes: " + stats);
    assertNoLossNoDuplicate();
    app = null;
    System.out.println("kills: " + stats);
  }

  @Test
  void aFencedSourceStallsWritesInsteadOfFailingThem() throws Exception {
    start(null);
    await("source rows", rows(source), 50);
    admin("ALTER DATABASE " + SOURCE_DB + " SET default_transaction_read_only = on");
    admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
            + SOURCE_DB
            + "' AND application_name = '"
            + OrdersApp.APPLICATION_NAME
            + "'");
    // The writers have met the fence (sessions ended, retries refused) before counting.
    Await.until(
        "writers stuck in flight on the fence",
        Duration.ofSeconds(30),
        () -> app.state().inFlight() > 0 && app.stats().retries() > 0);
    long fenced = count(source);
    // A window, as above: nothing lands during it, and the writers see the stall.
    Thread.sleep(1500);
    assertEquals(fenced, count(source), "the fence stops every write");
    assertEquals(0, app.stats().failed(), "writes against a fence wait and retry");
    assertTrue(app.state().inFlight() > 0, "the writers are stuck in flight on the fence");

    admin("ALTER DATABASE " + SOURCE_DB + " RESET default_transaction_read_only");
    await("rows after the fence", rows(source), fenced + 100);
    app.close();
    OrdersApp.Stats stats = app.stats();
    assertEquals(0, stats.failed(), stats.toString());
    assertTrue(stats.longestStallMs() >= 1500, stats.toString());
    assertNoLossNoDuplicate();
    app = null;
    System.out.println("fence: " + stats);
  }

  @Test
  void theRouterEndpointRefusesWhatWouldBreakTheContract() throws Exception {
    start("s3cret");
    assertEquals(401, call("GET", "state", null, null).statusCode());
    assertEquals(401, call("GET", "state", null, "wrong").statusCode());
    assertEquals(200, call("GET", "state", null, "s3cret").statusCode());

    HttpResponse<String> early = call("POST", "point", "{\"target\":\"destination\"}", "s3cret");
    assertEquals(409, early.statusCode(), early.body());
    assertTrue(early.body().contains("quiesce first"), early.body());
    assertEquals("source", app.state().target().word());

    assertEquals(200, call("POST", "quiesce", null, "s3cret").statusCode());
    HttpResponse<String> bad = call("POST", "point", "{\"target\":\"replica\"}", "s3cret");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(JSON.readTree(bad.body()).has("error"));
    assertEquals(405, call("GET", "quiesce", null, "s3cret").statusCode());
    assertEquals(404, call("POST", "restart", null, "s3cret").statusCode());

    HttpResponse<String> same = call("POST", "point", "{\"target\":\"source\"}", "s3cret");
    assertEquals(200, same.statusCode(), "pointing where it already points is a no-op");
    assertEquals(200, call("POST", "resume", null, "s3cret").statusCode());
    HttpResponse<String> sameUnquiesced =
        call("POST", "point", "{\"target\":\"source\"}", "s3cret");
    assertEquals(200, sameUnquiesced.statusCode(), "idempotent even when not quiesced");
  }
}
