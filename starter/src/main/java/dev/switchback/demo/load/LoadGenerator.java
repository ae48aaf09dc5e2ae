package dev.switchback.demo.load;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * An application nobody here wrote, writing through the router during a demo cutover: one tool, one
 * or more processes, each run for a fixed time. What it did is read from its own output once every
 * process ended.
 */
public interface LoadGenerator extends AutoCloseable {

  /** The command lines, as progress shows them (without secrets). */
  List<String> commands();

  /** How long each process runs. */
  Duration duration();

  void start() throws IOException;

  /**
   * Waits for every process to end, ending any that outlives {@code timeout}, and reads their
   * output.
   */
  ClientRun await(Duration timeout) throws IOException, InterruptedException;

  /** When the first process started. */
  long startMillis();

  /** Ends whatever still runs. */
  @Override
  void close();
}
