package dev.switchback.demo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A Switchback worker in its own JVM, so a test can kill it with SIGKILL like a real process. */
final class WorkerProcess implements AutoCloseable {
  private final String address;
  private Process process;
  private int started;

  WorkerProcess(String address) {
    this.address = address;
  }

  /** Starts a worker if none runs. */
  void ensureRunning() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    File log = File.createTempFile("switchback-faults-worker-" + (++started) + "-", ".log");
    System.out.println("worker " + started + " log: " + log);
    process =
        new ProcessBuilder(
                java,
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.switchback.cli.SwitchbackCli",
                "worker",
                "--address",
                address,
                "--metrics-port",
                "0")
            .redirectErrorStream(true)
            .redirectOutput(log)
            .start();
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
