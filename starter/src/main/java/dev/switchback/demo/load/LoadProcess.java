package dev.switchback.demo.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One load generator process. Its output goes to files and is read once it ended (the tools print
 * their summary only then); a process that outlives its deadline is ended, so a demo never waits
 * for ever on a tool that hangs.
 */
public final class LoadProcess implements AutoCloseable {
  private final List<String> command;
  private final String shown;
  private final Path workDir;
  private final Path stdout;
  private final Path stderr;
  private final boolean mergeOutput;
  private Process process;
  private long startMillis;
  private boolean timedOut;

  /**
   * @param command the command and its arguments
   * @param shown the command as progress shows it (without secrets)
   * @param workDir where it runs and where its output files go
   * @param name the output files' name ({@code name.out}, {@code name.err})
   * @param mergeOutput stderr into the same file as stdout, in the order printed
   */
  public LoadProcess(
      List<String> command, String shown, Path workDir, String name, boolean mergeOutput) {
    this.command = List.copyOf(command);
    this.shown = shown;
    this.workDir = workDir;
    this.stdout = workDir.resolve(name + ".out");
    this.stderr = workDir.resolve(name + ".err");
    this.mergeOutput = mergeOutput;
  }

  public void start() throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.redirectOutput(stdout.toFile());
    if (mergeOutput) {
      pb.redirectErrorStream(true);
    } else {
      pb.redirectError(stderr.toFile());
    }
    startMillis = System.currentTimeMillis();
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run "
              + command.get(0)
              + " ("
              + e.getMessage()
              + "); deploy/lab/lab.sh start"
              + " tools installs the lab's client tools",
          e);
    }
  }

  /**
   * Waits for the process to end, and ends it when {@code timeout} passes first (SIGTERM, then
   * SIGKILL after 5 s).
   *
   * @return its exit code
   */
  public int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      timedOut = true;
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
    return process.isAlive() ? -1 : process.exitValue();
  }

  /**
   * Runs a tool's one-off command (a {@code prepare}) to its end.
   *
   * @return what it printed
   * @throws IllegalStateException with its output when it fails or outlives {@code timeout}
   */
  public static String run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("switchback-demo-tool");
    try (LoadProcess p = new LoadProcess(command, String.join(" ", command), dir, "tool", true)) {
      p.start();
      int exit = p.await(timeout);
      String out = p.stdout();
      if (exit != 0 || p.timedOut()) {
        throw new IllegalStateException(
            String.join(" ", command)
                + (p.timedOut() ? " did not end within " + timeout.toSeconds() + " s" : " failed")
                + " (exit "
                + exit
                + "):\n"
                + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(dir.resolve("tool.out"));
      Files.deleteIfExists(dir);
    }
  }

  /** Whether {@link #await} had to end it. */
  public boolean timedOut() {
    return timedOut;
  }

  public long startMillis() {
    return startMillis;
  }

  public String stdout() throws IOException {
    return Files.exists(stdout) ? Files.readString(stdout, StandardCharsets.UTF_8) : "";
  }

  public String stderr() throws IOException {
    return !mergeOutput && Files.exists(stderr)
        ? Files.readString(stderr, StandardCharsets.UTF_8)
        : "";
  }

  @Override
  public String toString() {
    return shown;
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
