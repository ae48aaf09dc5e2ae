package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "watch",
    description = {
      "Follow a cutover: its phase timeline, refreshed from the status query, until it ends;"
          + " then its report.",
      "Exit 0 when it completed, 1 when it rolled back, aborted or failed."
    })
final class WatchCommand implements Callable<Integer> {
  @Parameters(
      paramLabel = "PLAN.yaml",
      arity = "0..1",
      description = "The plan whose cutover to follow (or --id).")
  Path plan;

  @Option(
      names = "--interval",
      paramLabel = "DURATION",
      defaultValue = "1s",
      description = "How often to refresh (default ${DEFAULT-VALUE}).")
  String interval;

  @Mixin CutoverTarget target;
  @Mixin ConnectionOptions connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    String id = target.workflowId(plan);
    var every = Options.duration("--interval", interval);
    try (Temporal t = connection.connect()) {
      return Watcher.watch(t, id, output, every, Watcher.terminal());
    }
  }
}
