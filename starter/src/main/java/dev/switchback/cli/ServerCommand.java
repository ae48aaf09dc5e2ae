package dev.switchback.cli;

import dev.switchback.worker.EmbeddedServer;
import dev.switchback.worker.SwitchbackSearchAttributes;
import dev.switchback.worker.TemporalSettings;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "server",
    description = {
      "Run Temporal's in-process test server on a local port until Ctrl-C, with the search"
          + " attributes SwitchbackPhase and SwitchbackOutcome registered. The switchback CLI,"
          + " the temporal CLI and any SDK can use it. Everything is in memory: history is gone"
          + " when it stops."
    })
final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--port",
      defaultValue = "7233",
      description = "Port to listen on (default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--host",
      defaultValue = EmbeddedServer.DEFAULT_HOST,
      description =
          "Address to bind (default ${DEFAULT-VALUE}; 0.0.0.0 exposes an unauthenticated server"
              + " to the network).")
  String host;

  @Mixin Output output;

  private final Foreground foreground = new Foreground();

  /** Ends {@link #call()} as Ctrl-C does. */
  void stop() {
    foreground.stop();
  }

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw CliException.badInput("--port " + port + " is not a port: use 1 to 65535");
    }
    EmbeddedServer server;
    try {
      server = EmbeddedServer.start(host, port);
    } catch (IllegalStateException e) {
      throw new CliException(CliException.FAILURE, e.getMessage(), e);
    }
    foreground.serve(
        "switchback-server-shutdown",
        server::close,
        () -> {
          WorkflowServiceStubs stubs =
              WorkflowServiceStubs.newConnectedServiceStubs(
                  TemporalSettings.of(server.clientAddress(), TemporalSettings.DEFAULT_NAMESPACE)
                      .stubsOptions()
                      .build(),
                  Duration.ofSeconds(5));
          try {
            SwitchbackSearchAttributes.ensure(stubs, TemporalSettings.DEFAULT_NAMESPACE);
          } finally {
            stubs.shutdown();
            stubs.awaitTermination(2, TimeUnit.SECONDS);
          }
          Map<String, Object> json = new LinkedHashMap<>();
          json.put("address", server.clientAddress());
          json.put("namespace", TemporalSettings.DEFAULT_NAMESPACE);
          json.put("searchAttributes", SwitchbackSearchAttributes.REQUIRED.keySet());
          output.object(json);
          output.line(
              "Temporal test server on "
                  + server.address()
                  + ", namespace "
                  + TemporalSettings.DEFAULT_NAMESPACE
                  + " (in memory)");
          output.line(
              "search attributes "
                  + String.join(", ", SwitchbackSearchAttributes.REQUIRED.keySet())
                  + " registered");
          output.line("  worker:    switchback worker --address " + server.clientAddress());
          output.line("  temporal:  temporal workflow list --address " + server.clientAddress());
          output.line("Ctrl-C stops it.");
        });
    return 0;
  }
}
