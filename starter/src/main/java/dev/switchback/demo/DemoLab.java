package dev.switchback.demo;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.TestSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * One engine's part of the demo: the lab servers, a fresh demo database on both sides, the demo
 * application, the forward migration instance, a plan, and the final count of what landed where.
 * Adding an engine to the demo is adding one implementation.
 */
public interface DemoLab {

  /** The engine name ({@code --engine}). */
  String engine();

  /** Starts the lab servers with the project's own script ({@code deploy/lab/lab.sh}). */
  default void startServers(Path repository, PrintStream progress) throws Exception {
    startLab(repository, labName(), progress);
  }

  /** {@code deploy/lab/lab.sh start name}: starts those lab servers, or restores their baseline. */
  static void startLab(Path repository, String name, PrintStream progress) throws Exception {
    Process p =
        new ProcessBuilder(
                "bash", repository.resolve("deploy/lab/lab.sh").toString(), "start", name)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("deploy/lab/lab.sh start " + name + " failed:\n" + out);
    }
    progress.println("lab: " + name + " servers up");
  }

  /** The lab script's name for these servers. */
  default String labName() {
    return engine();
  }

  /**
   * Drops what earlier demo runs left (instances, databases), creates the demo database on both
   * sides with the application's tables and accounts, and seeds the source.
   */
  void prepare(Connections connections) throws Exception;

  /**
   * The plan for this run.
   *
   * @param routerUrl the demo application's webhook router base URL
   * @param routerSigningKey the reference to the key the application checks requests with
   */
  CutoverPlan plan(DemoOptions options, String routerUrl, String routerSigningKey);

  /** Creates the forward instance and waits until it has caught up. */
  void createForward(Connections connections, CutoverPlan plan, PrintStream progress)
      throws Exception;

  /** Starts the demo application on the source, writing at {@code ratePerSecond} in total. */
  DemoApp startApplication(int writers, double ratePerSecond) throws Exception;

  /**
   * Every order on {@code side}: order numbers in the orders table, duplicates kept, or the order
   * keys.
   */
  List<String> orderNumbers(Side side) throws Exception;

  /** What an order is stored as, for the report: {@code rows} or {@code keys}. */
  default String unit() {
    return "rows";
  }

  /**
   * Waits until the forward instance runs in its incremental stage with latency under a second, two
   * minutes at most: the demo starts the cutover only from a caught-up instance.
   */
  static InstanceState awaitCaughtUp(MigrationProvider provider, MigrationContext ctx)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    var forward = Direction.FORWARD;
    InstanceState state = provider.describe(ctx, forward);
    while (!(state.running()
        && state.incremental()
        && state.latencyMs() != null
        && state.latencyMs() < 1000)) {
      if ("FAILED".equals(state.status()) || System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(
            "the forward instance did not catch up in 2 minutes: " + state);
      }
      Thread.sleep(200);
      state = provider.describe(ctx, forward);
    }
    return state;
  }

  /** The progress line for a caught-up incremental forward instance of a SQL lab. */
  static String caughtUp(InstanceState state) {
    return "forward instance "
        + state.instance()
        + " "
        + state.status()
        + ", incremental, latency "
        + state.latencyMs()
        + " ms";
  }

  /**
   * The demo's gates: automatic, or waiting for an operator's approval in interactive mode (the
   * switch gate for 15 minutes, the others for an hour).
   */
  static GatesSpec gates(DemoOptions options) {
    GateSpec gate =
        options.interactive()
            ? new GateSpec("approval", "1h", null)
            : new GateSpec("auto", null, null);
    GateSpec switchGate = options.interactive() ? new GateSpec("approval", "15m", null) : gate;
    GateSpec finalizeGate = options.interactive() ? new GateSpec("approval", "1h", null) : gate;
    return new GatesSpec(gate, switchGate, finalizeGate);
  }

  /**
   * The demo's smoke tests on the destination: {@code table} readable and not empty (the engine
   * renders true as {@code truth}); with {@code rollback}, a test that fails.
   */
  static List<TestSpec> smokeTests(String table, String truth, boolean rollback) {
    List<TestSpec> tests = new ArrayList<>();
    tests.add(
        new TestSpec(
            table + "-readable-on-destination",
            "sql",
            "SELECT count(*) > 0 FROM " + table,
            null,
            truth,
            null,
            "destination",
            "10s"));
    if (rollback) {
      // A real failing test: the application of this release expects a column the migrated
      // schema does not have, so the smoke test fails on the destination and the cutover rolls
      // back by itself.
      tests.add(
          new TestSpec(
              table + "-have-currency",
              "sql",
              "SELECT currency FROM " + table + " LIMIT 1",
              null,
              null,
              null,
              "destination",
              "10s"));
    }
    return tests;
  }

  /** Every order number in the orders table {@code c} reaches, duplicates kept. */
  static List<String> orderNumbers(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT order_no FROM orders")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
