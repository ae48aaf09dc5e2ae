package dev.switchback.demo.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * pgbench's built-in TPC-B-like transaction, one process per PgBouncer so every instance carries
 * its share: {@code -M simple} (PgBouncer's transaction pooling has no prepared statements), a
 * fixed rate ({@code -R}) split between them, a fixed time ({@code -T}: pgbench has no graceful
 * stop, and writes its log only at a normal exit) and the per-transaction log ({@code -l}), read
 * once it ended.
 */
public final class PgbenchLoad implements LoadGenerator {

  /** Where one pgbench connects: a PgBouncer. */
  public record Target(String host, int port) {}

  private final List<Target> targets;
  private final Duration duration;
  private final Path workDir;
  private final List<LoadProcess> processes = new ArrayList<>();

  /**
   * @param targets one pgbench each
   * @param database the database (PgBouncer's entry) pgbench connects to
   * @param user the role pgbench logs in as
   * @param clients clients in all, split between the targets (at least one each)
   * @param rate transactions per second in all, split between the targets
   */
  public PgbenchLoad(
      List<Target> targets,
      String database,
      String user,
      int clients,
      double rate,
      Duration duration,
      Path workDir) {
    this.targets = List.copyOf(targets);
    this.duration = duration;
    this.workDir = workDir;
    int each = Math.max(1, clients / targets.size());
    String rateEach = String.format(Locale.ROOT, "%.1f", rate / targets.size());
    for (Target t : targets) {
      List<String> cmd =
          List.of(
              "pgbench",
              "-h",
              t.host(),
              "-p",
              Integer.toString(t.port()),
              "-U",
              user,
              "-n",
              "-M",
              "simple",
              "-c",
              Integer.toString(each),
              "-j",
              "1",
              "-R",
              rateEach,
              "-T",
              Long.toString(duration.toSeconds()),
              "-l",
              "--log-prefix=" + logPrefix(t),
              database);
      processes.add(
          new LoadProcess(cmd, String.join(" ", cmd), workDir, "pgbench-" + t.port(), false));
    }
  }

  private String logPrefix(Target t) {
    return workDir.resolve("pgbench-" + t.port() + "-log").toString();
  }

  @Override
  public List<String> commands() {
    return processes.stream().map(LoadProcess::toString).toList();
  }

  @Override
  public Duration duration() {
    return duration;
  }

  @Override
  public void start() throws IOException {
    for (LoadProcess p : processes) {
      p.start();
    }
  }

  @Override
  public long startMillis() {
    return processes.get(0).startMillis();
  }

  @Override
  public ClientRun await(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<ClientRun> runs = new ArrayList<>();
    for (int i = 0; i < processes.size(); i++) {
      LoadProcess p = processes.get(i);
      int exit = p.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      String stderr = p.stderr();
      if (p.timedOut()) {
        stderr +=
            "\npgbench: error: still running "
                + timeout.toSeconds()
                + " s after it started"
                + " with -T "
                + duration.toSeconds()
                + ": ended by the demo\n";
      }
      runs.add(PgbenchOutput.parse(p.stdout(), stderr, exit, logLines(targets.get(i))));
    }
    return ClientRun.merge(runs);
  }

  // pgbench writes one file per thread: PREFIX.PID, PREFIX.PID.1, ...
  private List<String> logLines(Target t) throws IOException {
    String prefix = Path.of(logPrefix(t)).getFileName() + ".";
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(workDir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    return lines;
  }

  @Override
  public void close() {
    processes.forEach(LoadProcess::close);
  }
}
