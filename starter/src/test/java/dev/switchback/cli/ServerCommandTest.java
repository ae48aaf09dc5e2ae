package dev.switchback.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.worker.SwitchbackSearchAttributes;
import dev.switchback.worker.TemporalSettings;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ServerCommandTest {
  @Test
  void serverListensOnItsPortWithTheSearchAttributesRegisteredUntilStopped() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ServerCommand server = new ServerCommand();
    StringWriter out = new StringWriter();
    CommandLine cl =
        SwitchbackCli.commandLine(
            new CommandLine.IFactory() {
              @Override
              public <K> K create(Class<K> cls) throws Exception {
                return cls == ServerCommand.class
                    ? cls.cast(server)
                    : CommandLine.defaultFactory().create(cls);
              }
            });
    cl.setOut(new PrintWriter(out, true));
    String[] args = {"server", "--port", String.valueOf(port), "--json"};
    CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> cl.execute(args));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!out.toString().contains("\"address\"") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(out.toString().contains("\"address\":\"127.0.0.1:" + port + "\""), out.toString());

    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newConnectedServiceStubs(
            TemporalSettings.of("127.0.0.1:" + port, "default").stubsOptions().build(),
            Duration.ofSeconds(5));
    try {
      var again = SwitchbackSearchAttributes.ensure(stubs, "default");
      assertEquals(
          List.of("SwitchbackPhase", "SwitchbackOutcome"),
          again.alreadyPresent(),
          "the server command registered them already");
    } finally {
      stubs.shutdownNow();
      stubs.awaitTermination(5, TimeUnit.SECONDS);
    }

    server.stop();
    assertEquals(0, running.get(20, TimeUnit.SECONDS));
    assertDoesNotThrow(
        () -> new ServerSocket(port).close(), "the port is released after the server stops");
  }
}
