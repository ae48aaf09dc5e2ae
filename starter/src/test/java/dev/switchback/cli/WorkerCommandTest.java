package dev.switchback.cli;

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

class WorkerCommandTest {
  @Test
  void embeddedWorkerServesTemporalOnItsPortWithTheSearchAttributesUntilStopped() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    WorkerCommand worker = new WorkerCommand();
    StringWriter out = new StringWriter();
    CommandLine cl =
        SwitchbackCli.commandLine(
            new CommandLine.IFactory() {
              @Override
              public <K> K create(Class<K> cls) throws Exception {
                return cls == WorkerCommand.class
                    ? cls.cast(worker)
                    : CommandLine.defaultFactory().create(cls);
              }
            });
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    String[] args = {"worker", "--embedded", "--port", String.valueOf(port), "--metrics-port", "0"};
    CompletableFuture<Integer> running = CompletableFuture.supplyAsync(() -> cl.execute(args));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!out.toString().contains("embedded Temporal test server on")
        && System.nanoTime() < deadline
        && !running.isDone()) {
      Thread.sleep(50);
    }
    assertTrue(
        out.toString().contains("embedded Temporal test server on 127.0.0.1:" + port),
        out.toString());

    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newConnectedServiceStubs(
            TemporalSettings.of("127.0.0.1:" + port, "default").stubsOptions().build(),
            Duration.ofSeconds(5));
    try {
      assertEquals(
          List.of("SwitchbackPhase", "SwitchbackOutcome"),
          SwitchbackSearchAttributes.ensure(stubs, "default").alreadyPresent());
    } finally {
      stubs.shutdownNow();
      stubs.awaitTermination(5, TimeUnit.SECONDS);
    }

    worker.stop();
    assertEquals(0, running.get(30, TimeUnit.SECONDS));
  }

  @Test
  void aMetricsPortOutOfRangeIsBadInput() {
    Cli.Result r = Cli.run("worker", "--embedded", "--metrics-port", "70000");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("--metrics-port 70000 is not a port"), r.toString());
  }

  @Test
  void aMetricsAddressOfAnotherHostIsBadInputBeforeAnythingStarts() {
    Cli.Result r = Cli.run("worker", "--embedded", "--metrics-address", "203.0.113.7");
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(r.err().contains("--metrics-address='203.0.113.7'"), r.toString());
    assertTrue(r.err().contains("is not on this host"), r.toString());
  }
}
