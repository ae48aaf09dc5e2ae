package dev.switchback.demo.load;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * sysbench's {@code oltp_write_only} through a proxy, run by the demo's reconnecting script
 * (deploy/lab/sysbench/oltp_write_only_reconnecting.lua: the stock transaction, a reconnect that
 * works with libmariadb), at a fixed rate for a fixed time, with a report every second.
 */
public final class SysbenchLoad implements LoadGenerator {
  private final Duration duration;
  private final LoadProcess process;

  /**
   * @param script the reconnecting script
   * @param tables and {@code tableSize}: as prepared ({@code --tables}, {@code --table-size})
   * @param threads {@code --threads}
   * @param rate {@code --rate}, transactions per second in all
   */
  public SysbenchLoad(
      Path script,
      String host,
      int port,
      String user,
      String password,
      String database,
      int tables,
      int tableSize,
      int threads,
      int rate,
      Duration duration,
      Path workDir) {
    this.duration = duration;
    List<String> head = List.of("sysbench", script.toString());
    List<String> tail =
        List.of(
            "--mysql-host=" + host,
            "--mysql-port=" + port,
            "--mysql-user=" + user,
            "--mysql-db=" + database,
            "--tables=" + tables,
            "--table-size=" + tableSize,
            "--threads=" + threads,
            "--rate=" + rate,
            "--time=" + duration.toSeconds(),
            "--report-interval=1",
            "run");
    List<String> cmd = new ArrayList<>(head);
    cmd.add("--mysql-password=" + password);
    cmd.addAll(tail);
    String shown = String.join(" ", head) + " --mysql-password=*** " + String.join(" ", tail);
    this.process = new LoadProcess(cmd, shown, workDir, "sysbench", true);
  }

  @Override
  public List<String> commands() {
    return List.of(process.toString());
  }

  @Override
  public Duration duration() {
    return duration;
  }

  @Override
  public void start() throws IOException {
    process.start();
  }

  @Override
  public long startMillis() {
    return process.startMillis();
  }

  @Override
  public ClientRun await(Duration timeout) throws IOException, InterruptedException {
    int exit = process.await(timeout);
    String output = process.stdout();
    if (process.timedOut()) {
      output +=
          "\nFATAL: still running "
              + timeout.toSeconds()
              + " s after it started with --time "
              + duration.toSeconds()
              + ": ended by the demo\n";
    }
    return SysbenchOutput.parse(output, exit, process.startMillis());
  }

  @Override
  public void close() {
    process.close();
  }
}
