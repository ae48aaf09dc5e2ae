package dev.switchback.cli;

import dev.switchback.plan.PlanProblem;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code switchback} command. Exit codes: 0 done, 2 bad input (an invalid plan or argument, a
 * request the workflow refused; nothing was done), 1 failure (Temporal unreachable, the cutover
 * rolled back or failed). With {@code --json} every command prints exactly one JSON object on
 * stdout, errors included.
 */
@Command(
    name = "switchback",
    mixinStandardHelpOptions = true,
    versionProvider = SwitchbackCli.Version.class,
    description = {
      "Cut an application over from a source database to a destination database after a"
          + " migration, and back if anything goes wrong, as a durable Temporal workflow.",
      "",
      "Connection: the Temporal client config file and TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,"
          + " TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, ..."
          + " (as the temporal CLI), or --address / --namespace.",
      "Payload encryption: SWITCHBACK_PAYLOAD_KEY_DIR or SWITCHBACK_PAYLOAD_KEYS, and"
          + " SWITCHBACK_PAYLOAD_KEY_ID, the same keys as the worker's (off without a key).",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:done",
      "1:failure: Temporal unreachable, or the cutover rolled back, aborted or failed",
      "2:bad input: invalid plan or argument, or a request the workflow refused; nothing was done"
    },
    subcommands = {
      StartCommand.class,
      WatchCommand.class,
      StatusCommand.class,
      ApproveCommand.class,
      RollbackCommand.class,
      AbortCommand.class,
      KeysCommand.class,
      PlanCommand.class,
      ServerCommand.class,
      CodecServerCommand.class,
      WorkerCommand.class,
      SetupForwardCommand.class,
      ValidateCommand.class,
      DemoCommand.class,
      BenchCommand.class,
      HelpCommand.class
    })
public final class SwitchbackCli implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "name a command, e.g. switchback start PLAN.yaml");
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return commandLine(CommandLine.defaultFactory());
  }

  /** For tests: a factory that builds some commands with other collaborators. */
  public static CommandLine commandLine(IFactory factory) {
    CommandLine cl = new CommandLine(new SwitchbackCli(), factory);
    cl.setExecutionExceptionHandler(SwitchbackCli::onException);
    cl.setParameterExceptionHandler(SwitchbackCli::onBadArguments);
    return cl;
  }

  private static int onException(Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
    CliException failure =
        e instanceof CliException c
            ? c
            : new CliException(
                CliException.FAILURE,
                e.getMessage() == null ? e.toString() : Cutovers.innermostMessage(e),
                e);
    report(cl, json(cl), failure.getMessage(), failure.exitCode(), failure.problems());
    return failure.exitCode();
  }

  private static int onBadArguments(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    boolean json = Arrays.asList(args).contains("--json");
    report(cl, json, e.getMessage(), CliException.BAD_INPUT, List.of());
    if (!json) {
      cl.getErr().println("see: " + qualifiedName(cl) + " --help");
      cl.getErr().flush();
    }
    return CliException.BAD_INPUT;
  }

  private static void report(
      CommandLine cl, boolean json, String message, int exitCode, List<PlanProblem> problems) {
    if (json) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", message);
      error.put("exitCode", exitCode);
      if (!problems.isEmpty()) {
        error.put("problems", problems);
      }
      PrintWriter out = cl.getOut();
      out.println(Output.toJson(error));
      out.flush();
    } else {
      PrintWriter err = cl.getErr();
      err.println(message);
      err.flush();
    }
  }

  private static boolean json(CommandLine cl) {
    CommandLine.ParseResult r = cl.getParseResult();
    return r != null && r.hasMatchedOption("--json");
  }

  private static String qualifiedName(CommandLine cl) {
    return cl.getCommandSpec().qualifiedName();
  }

  /** The version from the jar's manifest, when run from the built jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SwitchbackCli.class.getPackage().getImplementationVersion();
      return new String[] {"switchback " + (v == null ? "(development build)" : v)};
    }
  }
}
