package dev.switchback.cli;

import dev.switchback.worker.EmbeddedServer;
import dev.switchback.worker.Metrics;
import dev.switchback.worker.SwitchbackWorker;
import dev.switchback.worker.Wiring;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "worker",
    description = {
      "Run the Switchback worker (workflow Cutover and its activities on task queue switchback)"
          + " until Ctrl-C; on shutdown, activities in flight finish first"
          + " (SWITCHBACK_SHUTDOWN_GRACE, default 30s).",
      "Prometheus metrics on SWITCHBACK_METRICS_PORT (default 9464, 0 turns them off).",
      "Payloads are encrypted with the keys of SWITCHBACK_PAYLOAD_KEY_DIR or"
          + " SWITCHBACK_PAYLOAD_KEYS (SWITCHBACK_PAYLOAD_KEY_ID encrypts); off without a key.",
      "--embedded runs the test server in this process too: no cluster needed."
    })
final class WorkerCommand implements Callable<Integer> {
  @Option(
      names = "--embedded",
      description = "Run Temporal's test server in this process and use it.")
  boolean embedded;

  @Option(
      names = "--port",
      defaultValue = "7233",
      description = "With --embedded: the server's port (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = EmbeddedServer.DEFAULT_HOST,
      description = "With --embedded: the server's bind address (default ${DEFAULT-VALUE}).")
  String host;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description = "Port of /metrics (default: SWITCHBACK_METRICS_PORT or 9464; 0 turns it off).")
  Integer metricsPort;

  @Option(
      names = "--metrics-address",
      paramLabel = "ADDRESS",
      description =
          "Bind address of /metrics (default: SWITCHBACK_METRICS_ADDRESS or every interface;"
              + " 127.0.0.1 keeps metrics on this host).")
  String metricsAddress;

  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  private volatile SwitchbackWorker running;

  /** Stops the worker as Ctrl-C does. */
  void stop() {
    SwitchbackWorker w = running;
    if (w != null) {
      w.close();
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    if (!Wiring.wired()) {
      output.note(
          "warning: this build wires no Cutover workflow implementation; the worker runs"
              + " activities only");
    }
    SwitchbackWorker.Options options;
    try {
      options =
          SwitchbackWorker.Options.fromEnvironment(
                  System.getenv(), embedded ? null : connection.settings(), embedded, port)
              .withEmbeddedHost(host);
      if (metricsPort != null) {
        if (metricsPort < 0 || metricsPort > 65535) {
          throw new IllegalArgumentException(
              "--metrics-port " + metricsPort + " is not a port: use 1 to 65535, or 0 for none");
        }
        options = options.withMetricsPort(metricsPort);
      }
      if (metricsAddress != null) {
        options = options.withMetricsAddress(Metrics.address(metricsAddress, "--metrics-address"));
      }
    } catch (IllegalArgumentException e) {
      throw CliException.badInput(e.getMessage());
    }
    SwitchbackWorker worker;
    try {
      worker = SwitchbackWorker.start(options);
    } catch (IllegalStateException e) {
      throw new CliException(CliException.FAILURE, e.getMessage(), e);
    }
    running = worker;
    if (worker.embeddedAddress() != null) {
      output.line(
          "embedded Temporal test server on "
              + worker.embeddedAddress()
              + ": switchback start PLAN.yaml --address "
              + worker.embeddedAddress());
    }
    worker.closeOnExit().awaitStopped();
    return 0;
  }
}
