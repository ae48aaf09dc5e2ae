package dev.switchback.demo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A Switchback worker in its own JVM, so a test can kill it with SIGKILL like a real process. */
final class WorkerProcess implements AutoCloseable {
  private final String address;
  private Process process;
  private int started;

  WorkerProcess(String address) {
    this.address = address;
  }

  /**
   * Starts a worker if none runs, and waits until it polls the task queue. A worker that gives up
   * at its start (it exits when Temporal does not answer within its connect deadline, which happens
   * on a loaded machine) is started again, three times at most.
   */
  void ensureRunning() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      return;
    }
    for (int attempt = 1; attempt <= 3; attempt++) {
      File log = File.createTempFile("switchback-faults-worker-" + (++started) + "-", ".log");
      System.out.println("worker " + started + " log: " + log);
      ProcessBuilder worker = command(address, log, "-Xmx512m");
      process = worker.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (process.isAlive() && System.nanoTime() < deadline) {
        if (Files.readString(log.toPath()).contains("worker polling task queue")) {
          return;
        }
        Thread.sleep(100);
      }
      System.out.println(
          "worker " + started + " did not come up (alive: " + process.isAlive() + "), again");
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    throw new IllegalStateException("no worker came up in three starts; see the logs above");
  }

  /**
   * The command of a worker process connected to {@code address}, its output in {@code log},
   * configured as an operator would: its secret scope holds the files the demo lab writes under the
   * temporary directory (the database password, the router's signing key).
   */
  static ProcessBuilder command(String address, File log, String... jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOptions));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "dev.switchback.cli.SwitchbackCli",
            "worker",
            "--address",
            address,
            "--metrics-port",
            "0"));
    ProcessBuilder worker =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log);
    worker.environment().put("SWITCHBACK_SCOPE_DIRS", System.getProperty("java.io.tmpdir"));
    // The embedded server lives in the (busy) test JVM: on a loaded machine it can take more
    // than a few seconds to answer, which a worker waits out.
    worker.environment().put("SWITCHBACK_CONNECT_TIMEOUT", "75s");
    return worker;
  }

  /** kill -9: no shutdown hook, no activity completes, no connection is closed politely. */
  void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the worker did not die within 10 s of SIGKILL");
    }
    if (process.exitValue() != 137) {
      throw new IllegalStateException(
          "the worker exited with " + process.exitValue() + ", not 137");
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
