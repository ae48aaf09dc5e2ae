package dev.switchback.cli;

import dev.switchback.worker.TemporalSettings;
import dev.switchback.worker.Wiring;
import dev.switchback.worker.codec.PayloadKeys;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.RpcRetryOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * How a command reaches Temporal: the same sources as the worker and the {@code temporal} CLI (the
 * client config file's profile, then {@code TEMPORAL_*} variables), then these options. Payloads
 * are encrypted with the same keys as the worker's ({@link PayloadKeys}, from the environment).
 */
public final class ConnectionOptions {
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);

  private final Map<String, String> env;

  public ConnectionOptions() {
    this(System.getenv());
  }

  /** For tests: the payload keys from {@code env} instead of the process environment. */
  ConnectionOptions(Map<String, String> env) {
    this.env = env;
  }

  @Option(
      names = "--address",
      paramLabel = "HOST:PORT",
      description =
          "Temporal frontend address (default: TEMPORAL_ADDRESS, the profile, or 127.0.0.1:7233).")
  String address;

  @Option(
      names = "--namespace",
      paramLabel = "NAME",
      description = "Temporal namespace (default: TEMPORAL_NAMESPACE, the profile, or default).")
  String namespace;

  @Option(
      names = "--profile",
      paramLabel = "NAME",
      description =
          "Profile of the Temporal client config file (default: TEMPORAL_PROFILE or default).")
  String profile;

  public TemporalSettings settings() {
    try {
      return TemporalSettings.load(address, namespace, profile);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw CliException.badInput(e.getMessage());
    }
  }

  /**
   * The payload keys of this shell's environment.
   *
   * @throws CliException exit 2 naming the setting when a key is configured wrongly
   */
  public PayloadKeys payloadKeys() {
    return payloadKeys(env);
  }

  static PayloadKeys payloadKeys(Map<String, String> env) {
    try {
      return PayloadKeys.fromEnvironment(env);
    } catch (IllegalArgumentException e) {
      throw CliException.badInput(e.getMessage());
    }
  }

  /**
   * Connects, failing fast with what to do when nobody answers.
   *
   * @throws CliException exit 1 when the server cannot be reached, exit 2 when the payload keys are
   *     configured wrongly
   */
  public Temporal connect() {
    TemporalSettings settings = settings();
    PayloadKeys keys = payloadKeys();
    WorkflowServiceStubs stubs;
    try {
      // A person waits on the other end: a query or call nobody answers (no worker polling)
      // fails within seconds with a hint, instead of the SDK's minute of retries.
      stubs =
          WorkflowServiceStubs.newConnectedServiceStubs(
              settings
                  .stubsOptions()
                  .setRpcQueryTimeout(QUERY_TIMEOUT)
                  .setRpcRetryOptions(
                      RpcRetryOptions.newBuilder()
                          .setExpiration(Duration.ofSeconds(8))
                          .validateBuildWithDefaults())
                  .build(),
              Duration.ofSeconds(5));
    } catch (StatusRuntimeException e) {
      throw new CliException(
          CliException.FAILURE,
          "cannot reach Temporal at "
              + settings
              + " ("
              + e.getStatus().getCode()
              + "): start a local one with `switchback server` (or `switchback worker"
              + " --embedded`), or point at yours with --address / TEMPORAL_ADDRESS",
          e);
    }
    return new Temporal(
        settings,
        stubs,
        WorkflowClient.newInstance(
            stubs, settings.clientOptions().setDataConverter(Wiring.dataConverter(keys)).build()));
  }

  /** A connected client; close it to release the channel. */
  public record Temporal(
      TemporalSettings settings, WorkflowServiceStubs stubs, WorkflowClient client)
      implements AutoCloseable {
    @Override
    public void close() {
      stubs.shutdown();
      if (!stubs.awaitTermination(2, TimeUnit.SECONDS)) {
        stubs.shutdownNow();
      }
    }
  }
}
