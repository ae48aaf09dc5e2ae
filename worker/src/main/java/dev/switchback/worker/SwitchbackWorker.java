package dev.switchback.worker;

import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.SecretScope;
import dev.switchback.activities.support.Secrets;
import dev.switchback.approval.Ed25519;
import dev.switchback.plan.Durations;
import dev.switchback.worker.codec.PayloadKeys;
import dev.switchback.workflow.CutoverWorkflow;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerOptions;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker process: connects to Temporal like every Temporal application (see {@link
 * TemporalSettings}), or embeds the test server, makes sure the search attributes exist, registers
 * the Cutover workflow and the activities on task queue {@value CutoverWorkflow#TASK_QUEUE}, serves
 * Prometheus metrics, and on shutdown stops polling and lets activities in flight finish (a fence
 * or a pause half done is worse than a slow exit).
 */
public final class SwitchbackWorker implements AutoCloseable {
  public static final String GRACE_VARIABLE = "SWITCHBACK_SHUTDOWN_GRACE";
  public static final String CONNECT_VARIABLE = "SWITCHBACK_CONNECT_TIMEOUT";
  private static final Logger log = LoggerFactory.getLogger(SwitchbackWorker.class);

  /**
   * How to run.
   *
   * @param temporal where the cluster is (ignored when {@code embedded})
   * @param embedded run the port-bound test server in this process and connect to it
   * @param embeddedHost the embedded server's bind address
   * @param embeddedPort the embedded server's port (0: any free port)
   * @param metricsPort the {@code /metrics} port, 0 for none
   * @param metricsAddress the {@code /metrics} bind address, null for every interface
   * @param shutdownGrace how long activities in flight may take to finish on shutdown
   * @param connectTimeout how long to keep asking the server to answer at start
   * @param payloadKeys the keys that encrypt payloads ({@link PayloadKeys#none()}: off)
   */
  public record Options(
      TemporalSettings temporal,
      boolean embedded,
      String embeddedHost,
      int embeddedPort,
      int metricsPort,
      InetAddress metricsAddress,
      Duration shutdownGrace,
      Duration connectTimeout,
      PayloadKeys payloadKeys) {

    /** Options on every interface's metrics, without payload encryption. */
    public Options(
        TemporalSettings temporal,
        boolean embedded,
        String embeddedHost,
        int embeddedPort,
        int metricsPort,
        Duration shutdownGrace,
        Duration connectTimeout) {
      this(
          temporal,
          embedded,
          embeddedHost,
          embeddedPort,
          metricsPort,
          null,
          shutdownGrace,
          connectTimeout,
          PayloadKeys.none());
    }

    /**
     * Defaults, with the metrics endpoint, grace, connect timeout and payload keys from the
     * environment.
     *
     * @throws IllegalArgumentException naming the setting when one is malformed
     */
    public static Options fromEnvironment(
        Map<String, String> env, TemporalSettings temporal, boolean embedded, int embeddedPort) {
      Duration shutdownGrace = duration(env, GRACE_VARIABLE, Duration.ofSeconds(30));
      Duration connectTimeout = duration(env, CONNECT_VARIABLE, Duration.ofSeconds(30));
      if (connectTimeout.compareTo(Duration.ofSeconds(1)) < 0
          || connectTimeout.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            CONNECT_VARIABLE
                + "='"
                + env.get(CONNECT_VARIABLE)
                + "' is out of bounds: write a duration from 1s to 10m (default 30s)");
      }
      return new Options(
          temporal,
          embedded,
          EmbeddedServer.DEFAULT_HOST,
          embeddedPort,
          Metrics.portFrom(env),
          Metrics.addressFrom(env),
          shutdownGrace,
          connectTimeout,
          PayloadKeys.fromEnvironment(env));
    }

    private static Duration duration(Map<String, String> env, String variable, Duration fallback) {
      String value = env.get(variable);
      if (value == null || value.isBlank()) {
        return fallback;
      }
      if (!Durations.valid(value)) {
        throw new IllegalArgumentException(
            variable + "='" + value + "' is not a duration: write e.g. 30s or 2m");
      }
      return Durations.parse(value);
    }

    public Options withMetricsPort(int port) {
      return new Options(
          temporal,
          embedded,
          embeddedHost,
          embeddedPort,
          port,
          metricsAddress,
          shutdownGrace,
          connectTimeout,
          payloadKeys);
    }

    public Options withMetricsAddress(InetAddress address) {
      return new Options(
          temporal,
          embedded,
          embeddedHost,
          embeddedPort,
          metricsPort,
          address,
          shutdownGrace,
          connectTimeout,
          payloadKeys);
    }

    public Options withShutdownGrace(Duration grace) {
      return new Options(
          temporal,
          embedded,
          embeddedHost,
          embeddedPort,
          metricsPort,
          metricsAddress,
          grace,
          connectTimeout,
          payloadKeys);
    }

    public Options withPayloadKeys(PayloadKeys keys) {
      return new Options(
          temporal,
          embedded,
          embeddedHost,
          embeddedPort,
          metricsPort,
          metricsAddress,
          shutdownGrace,
          connectTimeout,
          keys);
    }

    public Options withEmbeddedHost(String host) {
      return new Options(
          temporal,
          embedded,
          host,
          embeddedPort,
          metricsPort,
          metricsAddress,
          shutdownGrace,
          connectTimeout,
          payloadKeys);
    }
  }

  private final EmbeddedServer server;
  private final Metrics metrics;
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final WorkerFactory factory;
  private final TemporalSettings settings;
  private final Duration shutdownGrace;
  private final List<AutoCloseable> resources;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private SwitchbackWorker(
      EmbeddedServer server,
      Metrics metrics,
      WorkflowServiceStubs stubs,
      WorkflowClient client,
      WorkerFactory factory,
      TemporalSettings settings,
      Duration shutdownGrace,
      List<AutoCloseable> resources) {
    this.server = server;
    this.metrics = metrics;
    this.stubs = stubs;
    this.client = client;
    this.factory = factory;
    this.settings = settings;
    this.shutdownGrace = shutdownGrace;
    this.resources = resources;
  }

  /**
   * Starts the worker with everything {@link Wiring} names, resolving secrets from this process'
   * environment within the {@link SecretScope} it sets.
   */
  public static SwitchbackWorker start(Options options) {
    return start(options, SecretScope.fromEnvironment(System.getenv()));
  }

  /** As {@link #start(Options)}, with the secret scope given (the demo scopes its own files). */
  public static SwitchbackWorker start(Options options, SecretScope scope) {
    Secrets secrets = new Secrets(System.getenv(), scope);
    Connections connections = new Connections(secrets);
    try {
      Registry registry = Wiring.registry(secrets);
      // Engines that hold resources stop with the worker: a Redis fence renewer left running
      // would keep fencing a server after this worker is gone (in a JVM that goes on, as a test's).
      List<AutoCloseable> resources = new ArrayList<>(registry.closeables());
      resources.add(connections);
      return start(
          options,
          Wiring.workflowTypes(),
          Wiring.activities(registry, connections),
          resources,
          secrets);
    } catch (RuntimeException e) {
      connections.close();
      throw e;
    }
  }

  /**
   * Starts a worker for the given implementations.
   *
   * @param resources closed after the worker stopped (connection pools)
   * @throws IllegalStateException with what to do when the server cannot be reached or the search
   *     attributes cannot be registered; nothing is left running then
   */
  public static SwitchbackWorker start(
      Options options,
      List<Class<?>> workflowTypes,
      List<Object> activities,
      List<AutoCloseable> resources) {
    return start(options, workflowTypes, activities, resources, new Secrets(Map.of()));
  }

  /**
   * As {@link #start(Options, List, List, List)}; failures of the activities are redacted of what
   * {@code secrets} resolved.
   */
  public static SwitchbackWorker start(
      Options options,
      List<Class<?>> workflowTypes,
      List<Object> activities,
      List<AutoCloseable> resources,
      Secrets secrets) {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      Metrics metrics = Metrics.start(options.metricsAddress(), options.metricsPort(), 10);
      opened.add(metrics);
      EmbeddedServer server = null;
      TemporalSettings settings = options.temporal();
      if (options.embedded()) {
        server = EmbeddedServer.start(options.embeddedHost(), options.embeddedPort());
        opened.add(server);
        settings = TemporalSettings.of(server.clientAddress(), TemporalSettings.DEFAULT_NAMESPACE);
      }
      WorkflowServiceStubs stubs = connect(settings, metrics, options.connectTimeout());
      opened.add(stubs::shutdownNow);
      var attributes = SwitchbackSearchAttributes.ensure(stubs, settings.namespace());
      if (!attributes.registered().isEmpty()) {
        log.info(
            "registered search attributes {} in namespace {}",
            attributes.registered(),
            settings.namespace());
      }
      WorkflowClient client =
          WorkflowClient.newInstance(
              stubs,
              settings
                  .clientOptions()
                  .setDataConverter(Wiring.dataConverter(options.payloadKeys()))
                  .build());
      log.info("{}", options.payloadKeys());
      HeartbeatTicker ticker = new HeartbeatTicker();
      opened.add(ticker);
      WorkerFactory factory =
          WorkerFactory.newInstance(client, Wiring.workerFactoryOptions(ticker, secrets));
      // No sticky execution: a zero sticky schedule-to-start timeout makes the SDK leave sticky
      // attributes out, so every workflow task goes to the shared task queue. A worker killed
      // with -9 then leaves nothing behind: the test server (embedded mode, `switchback server`)
      // never times out a dead worker's sticky queue, and a real cluster would wait 5 s. A cutover
      // has a few hundred events, so replaying it on each task costs nothing that matters.
      Worker worker = factory.newWorker(CutoverWorkflow.TASK_QUEUE, workerOptions());
      if (!workflowTypes.isEmpty()) {
        // Workflows verify approvers' signatures; the JDK's first Ed25519 use is slow.
        Ed25519.warmUp();
        worker.registerWorkflowImplementationTypes(workflowTypes.toArray(new Class<?>[0]));
      } else {
        log.warn(
            "no workflow implementation is wired (dev.switchback.worker.Wiring):"
                + " this worker runs activities only");
      }
      if (!activities.isEmpty()) {
        worker.registerActivitiesImplementations(activities.toArray());
      }
      factory.start();
      log.info(
          "worker polling task queue {} on {}: workflows {}, activities {}",
          CutoverWorkflow.TASK_QUEUE,
          settings,
          workflowTypes.stream().map(Class::getSimpleName).collect(Collectors.toList()),
          activities.stream().map(a -> a.getClass().getSimpleName()).collect(Collectors.toList()));
      // The ticker's threads stop with the worker, after the factory terminated.
      List<AutoCloseable> owned = new ArrayList<>(resources);
      owned.add(ticker);
      return new SwitchbackWorker(
          server,
          metrics,
          stubs,
          client,
          factory,
          settings,
          options.shutdownGrace(),
          List.copyOf(owned));
    } catch (RuntimeException e) {
      for (int i = opened.size() - 1; i >= 0; i--) {
        closeQuietly(opened.get(i));
      }
      resources.forEach(SwitchbackWorker::closeQuietly);
      throw e;
    }
  }

  /** The options of the worker on task queue {@value CutoverWorkflow#TASK_QUEUE}. */
  static WorkerOptions workerOptions() {
    return WorkerOptions.newBuilder()
        .setStickyQueueScheduleToStartTimeout(Duration.ZERO)
        // A fresh worker replays the whole history on its first task; in a cold JVM on a loaded
        // machine that can pass the SDK's 1 s deadlock alarm, which then fails (and retries) the
        // task for nothing.
        .setDefaultDeadlockDetectionTimeout(5_000)
        // The SDK sends at most one heartbeat per 80% of the heartbeat timeout (8 s of 10 s): a
        // worker stalled 2 s (a GC pause, a busy machine) would pass for dead. With the ticker
        // beating every 2 s the server hears from a live worker every 3 s.
        .setMaxHeartbeatThrottleInterval(HeartbeatTicker.MAX_SEND_INTERVAL)
        .build();
  }

  /**
   * Connects, asking again until {@code timeout} has passed: a frontend that is starting, or slow
   * on a loaded host, does not stop the worker at its first unanswered call.
   */
  private static WorkflowServiceStubs connect(
      TemporalSettings settings, Metrics metrics, Duration timeout) {
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            settings.stubsOptions().setMetricsScope(metrics.scope()).build());
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int attempt = 1; ; attempt++) {
      Duration left = Duration.ofNanos(deadline - System.nanoTime());
      try {
        stubs.connect(left.compareTo(MIN_ATTEMPT) < 0 ? MIN_ATTEMPT : left);
        return stubs;
      } catch (StatusRuntimeException e) {
        Duration pause = Duration.ofMillis(Math.min(2000, 250L * attempt));
        if (!answerMayCome(e) || System.nanoTime() + pause.toNanos() >= deadline) {
          stubs.shutdownNow();
          throw unreachable(settings, e, attempt, timeout);
        }
        log.warn(
            "Temporal at {} does not answer yet ({}), attempt {}; asking again for {} more",
            settings,
            e.getStatus().getCode(),
            attempt,
            Durations.human(left.toMillis()));
        try {
          Thread.sleep(pause.toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          stubs.shutdownNow();
          throw unreachable(settings, e, attempt, timeout);
        }
      }
    }
  }

  private static final Duration MIN_ATTEMPT = Duration.ofSeconds(1);

  private static boolean answerMayCome(StatusRuntimeException e) {
    return switch (e.getStatus().getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED -> true;
      default -> false;
    };
  }

  private static IllegalStateException unreachable(
      TemporalSettings settings, StatusRuntimeException e, int attempts, Duration timeout) {
    return new IllegalStateException(
        "cannot reach Temporal at "
            + settings
            + " ("
            + e.getStatus().getCode()
            + (e.getStatus().getDescription() == null ? "" : ": " + e.getStatus().getDescription())
            + "; "
            + attempts
            + (attempts == 1 ? " attempt" : " attempts")
            + " in "
            + Durations.human(timeout.toMillis())
            + ", "
            + CONNECT_VARIABLE
            + "): start a server (switchback server), run the worker with --embedded, or set"
            + " TEMPORAL_ADDRESS",
        e);
  }

  public WorkflowClient client() {
    return client;
  }

  public TemporalSettings settings() {
    return settings;
  }

  /** The embedded server's client address, or null when connected to a cluster. */
  public String embeddedAddress() {
    return server == null ? null : server.clientAddress();
  }

  public Metrics metrics() {
    return metrics;
  }

  /** Stops the worker gracefully when the JVM is asked to exit (Ctrl-C, SIGTERM). */
  public SwitchbackWorker closeOnExit() {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "switchback-worker-shutdown"));
    return this;
  }

  /** Blocks until {@link #close()} finished. */
  public void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  /**
   * Stops polling, lets activities and workflow tasks in flight finish within the grace period,
   * then releases the connection, the embedded server, metrics and pools. Idempotent.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      log.info(
          "worker stopping: no new tasks; activities in flight have {} to finish",
          Durations.human(shutdownGrace.toMillis()));
      factory.shutdown();
      factory.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS);
      if (!factory.isTerminated()) {
        log.warn(
            "activities still running after {}: interrupting them; Temporal retries them on"
                + " another worker",
            Durations.human(shutdownGrace.toMillis()));
        factory.shutdownNow();
        factory.awaitTermination(5, TimeUnit.SECONDS);
      }
      stubs.shutdown();
      if (!stubs.awaitTermination(5, TimeUnit.SECONDS)) {
        stubs.shutdownNow();
      }
      if (server != null) {
        server.close();
      }
      metrics.close();
      resources.forEach(SwitchbackWorker::closeQuietly);
      log.info("worker stopped");
    } finally {
      stopped.countDown();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c, e.toString());
    }
  }

  /**
   * {@code java -cp ... dev.switchback.worker.SwitchbackWorker [--embedded] [--port N] [--host H]}.
   * The {@code switchback worker} command does the same.
   */
  public static void main(String[] args) {
    boolean embedded = false;
    int port = EmbeddedServer.DEFAULT_PORT;
    String host = EmbeddedServer.DEFAULT_HOST;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--embedded" -> embedded = true;
        case "--port" -> port = Integer.parseInt(value(args, ++i, "--port"));
        case "--host" -> host = value(args, ++i, "--host");
        default -> {
          System.err.println(
              "unknown argument '" + args[i] + "': use [--embedded] [--port N] [--host H]");
          System.exit(2);
        }
      }
    }
    try {
      Options options =
          Options.fromEnvironment(
                  System.getenv(), TemporalSettings.load(null, null, null), embedded, port)
              .withEmbeddedHost(host);
      start(options).closeOnExit().awaitStopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("worker cannot start: {}", e.getMessage());
      System.exit(1);
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      System.err.println(flag + " needs a value");
      System.exit(2);
    }
    return args[i];
  }
}
