package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code switchback plan check} runs the worker's real preflight in this process, outside any
 * Temporal activity, against endpoints that refuse connections: every check is reported with the
 * driver's reason, and the checks run side by side.
 */
class PlanCheckPreflightTest {
  private static final String PLAN =
      """
      name: orders
      migration:
        provider: postgres
        instance: orders_mig
      source:
        engine: postgres
        url: jdbc:postgresql://127.0.0.1:%d/orders
        user: switchback
      destination:
        engine: postgres
        url: jdbc:postgresql://127.0.0.1:%d/orders
        user: switchback
      migrationAccount:
        user: migrator
      approvers: [alice]
      approvals: unsigned
      validation:
        tables: [orders]
      """;

  @TempDir Path dir;

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort(); // closed again: connections to it are refused
    }
  }

  @Test
  void theRealPreflightRunsOutsideAnActivityAndNamesWhyAnEndpointCannotBeReached()
      throws IOException {
    int source = closedPort();
    int destination = closedPort();
    String yaml = PLAN.formatted(source, destination);
    Path plan = Plans.write(dir, "orders.yaml", yaml);

    Cli.Result r = Cli.run("plan", "check", plan.toString());

    assertEquals(CliException.FAILURE, r.exitCode(), r.toString());
    assertFalse(r.out().contains("preflight cannot run"), r.toString());
    assertTrue(
        r.out()
            .contains(
                "cannot connect to the source (jdbc:postgresql://127.0.0.1:"
                    + source
                    + "/orders) within 5 s: Connection to 127.0.0.1:"
                    + source
                    + " refused"),
        r.toString());
    assertTrue(r.out().contains("FAIL  data validation can run"), r.toString());
    assertTrue(r.out().contains("ok    router state reachable"), r.toString());
    assertTrue(r.out().contains("preflight failed: "), r.toString());
  }

  /**
   * Side by side, not one after the other: each side's pool keeps trying to connect for its whole
   * connection timeout, so one after the other would show every attempt on one side before the
   * first on the other. Two listeners that accept and hang up at once record the order of the
   * attempts; no clock is read.
   */
  @Test
  void bothSidesAreTriedAtTheSameTime() throws Exception {
    List<String> attempts = new CopyOnWriteArrayList<>();
    try (HangUp source = new HangUp("source", attempts);
        HangUp destination = new HangUp("destination", attempts)) {
      Path plan =
          Plans.write(dir, "side-by-side.yaml", PLAN.formatted(source.port(), destination.port()));

      Cli.Result r = Cli.run("plan", "check", plan.toString());

      assertEquals(CliException.FAILURE, r.exitCode(), r.toString());
      int lastSource = attempts.lastIndexOf("source");
      int lastDestination = attempts.lastIndexOf("destination");
      assertTrue(
          attempts.indexOf("source") < lastDestination
              && attempts.indexOf("destination") < lastSource,
          "the two sides' connection attempts interleave: " + attempts);
    }
  }

  /** Accepts connections and closes them at once, recording each attempt under its name. */
  private static final class HangUp implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread acceptor;

    HangUp(String name, List<String> attempts) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    Socket attempt = socket.accept();
                    attempts.add(name);
                    attempt.close();
                  } catch (IOException closed) {
                    return;
                  }
                }
              },
              "hang-up-" + name);
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
