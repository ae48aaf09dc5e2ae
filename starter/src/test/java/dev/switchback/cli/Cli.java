package dev.switchback.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchback.activities.support.Await;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine;

/** Runs the {@code switchback} command in-process and keeps what it printed. */
final class Cli {
  record Result(int exitCode, String out, String err) {
    JsonNode json() {
      try {
        return Output.JSON.readTree(out);
      } catch (Exception e) {
        throw new AssertionError("stdout is not one JSON object:\n" + out + "\nstderr:\n" + err, e);
      }
    }

    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private Cli() {}

  static Result run(String... args) {
    return run(CommandLine.defaultFactory(), args);
  }

  /**
   * Status (through {@code cli}) until {@code phase} shows, since the workflow reaches its gate
   * asynchronously (and may not exist yet when another thread is starting it).
   */
  static JsonNode awaitPhase(Function<String[], Result> cli, String id, String phase) {
    return Await.until(
            "phase " + phase + " of " + id,
            Duration.ofSeconds(20),
            () -> cli.apply(new String[] {"status", "--id", id, "--json"}),
            r -> r.exitCode() == 0 && phase.equals(r.json().path("status").path("phase").asText()))
        .json();
  }

  static Result run(CommandLine.IFactory factory, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = SwitchbackCli.commandLine(factory);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
