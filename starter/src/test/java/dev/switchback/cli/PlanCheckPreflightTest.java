package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code switchback plan check} runs the worker's real preflight in this process, outside any
 * Temporal activity, against endpoints that refuse connections: every check is reported with the
 * driver's reason, and the checks run side by side.
 */
class PlanCheckPreflightTest {
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
    String yaml =
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
        validation:
          tables: [orders]
        """
            .formatted(source, destination);
    Path plan = Plans.write(dir, "orders.yaml", yaml);

    long start = System.nanoTime();
    Cli.Result r = Cli.run("plan", "check", plan.toString());
    long seconds = (System.nanoTime() - start) / 1_000_000_000;

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
    System.out.printf("plan check against two refusing endpoints took %d s%n", seconds);
  }
}
