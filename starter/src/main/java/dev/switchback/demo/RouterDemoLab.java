package dev.switchback.demo;

import dev.switchback.activities.support.Connections;
import dev.switchback.demo.load.ClientRun;
import dev.switchback.demo.load.LoadGenerator;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One router demo's engine part: the lab servers, a database the load generator prepared on the
 * source, the forward instance, the router's entry pointing at the source, the plan, the load
 * generator, and the comparisons of the two sides afterwards. {@link RouterDemo} runs any of them
 * the same way.
 */
public interface RouterDemoLab {

  /** The engine name ({@code --engine}). */
  String engine();

  /** The router type ({@code --router}). */
  String router();

  /**
   * The lab script's names of the servers and tools this demo needs, started in this order: the
   * client tools, the engine's pair, then the router (each lab script is named after them).
   */
  default List<String> labNames() {
    return List.of("tools", engine(), router());
  }

  /** How long one round of the load runs by default (rounds follow until the cutover settled). */
  default Duration defaultDuration() {
    return Duration.ofSeconds(5);
  }

  /**
   * Drops what earlier runs left, prepares the load generator's database on the source (its own
   * {@code prepare}), the schema on the destination, the application account, the router pointing
   * at the source, and the forward instance, caught up.
   *
   * @return the plan, validated
   */
  CutoverPlan prepare(Connections connections, DemoOptions options, PrintStream progress)
      throws Exception;

  /** The load generator, writing through the router for {@code duration}; not started. */
  LoadGenerator load(DemoOptions options, Duration duration, Path workDir);

  /** One comparison of every table on both sides (a completed cutover: identical). */
  SideCheck compareSides() throws Exception;

  /** After a rollback: whether every transaction the destination committed is on the source. */
  SideCheck destinationOnSource() throws Exception;

  /** The load's invariants on {@code side}, given what the load generator reported. */
  List<Invariant> invariants(Side side, ClientRun run) throws Exception;
}
