package dev.switchback.worker;

import com.sun.net.httpserver.HttpServer;
import com.uber.m3.tally.NoopScope;
import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import com.uber.m3.tally.ScopeCloseException;
import dev.switchback.workflow.CutoverMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prometheus metrics for the worker: the Temporal SDK's own metrics (poll, task, activity and
 * workflow latencies and failures) and Switchback's ({@link CutoverMetrics}: cutovers by outcome,
 * write outage, phase durations, fence lapses) reported through tally into Micrometer, plus JVM
 * metrics, served at {@code /metrics} (docs/metrics.md). The port comes from {@code
 * SWITCHBACK_METRICS_PORT} (default {@value #DEFAULT_PORT}); 0 turns metrics off. The bind address
 * comes from {@code SWITCHBACK_METRICS_ADDRESS}: every interface when unset (Prometheus and
 * Kubernetes probes reach a pod from outside it), {@code 127.0.0.1} to keep the endpoint on the
 * host.
 */
public final class Metrics implements AutoCloseable {
  public static final int DEFAULT_PORT = 9464;
  public static final String PORT_VARIABLE = "SWITCHBACK_METRICS_PORT";
  public static final String ADDRESS_VARIABLE = "SWITCHBACK_METRICS_ADDRESS";
  private static final Logger log = LoggerFactory.getLogger(Metrics.class);

  private final Scope scope;
  private final PrometheusMeterRegistry registry;
  private final HttpServer http;
  private final JvmGcMetrics gc;

  private Metrics(Scope scope, PrometheusMeterRegistry registry, HttpServer http, JvmGcMetrics gc) {
    this.scope = scope;
    this.registry = registry;
    this.http = http;
    this.gc = gc;
  }

  /** Where a write outage falls: sub-second is the aim, minutes mean something went wrong. */
  static final List<Duration> OUTAGE_BUCKETS =
      List.of(
          Duration.ofMillis(100),
          Duration.ofMillis(250),
          Duration.ofMillis(500),
          Duration.ofSeconds(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofMinutes(1),
          Duration.ofMinutes(5),
          Duration.ofMinutes(15),
          Duration.ofHours(1));

  /** Phases last from milliseconds (a sequence sync) to days (a soak, a gate awaiting approval). */
  static final List<Duration> PHASE_BUCKETS =
      List.of(
          Duration.ofMillis(100),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(15),
          Duration.ofMinutes(1),
          Duration.ofMinutes(5),
          Duration.ofMinutes(15),
          Duration.ofHours(1),
          Duration.ofHours(4),
          Duration.ofDays(1),
          Duration.ofDays(7));

  /**
   * The SDK's reporter publishes every timer with Micrometer's generic percentile histogram, whose
   * buckets stop at 30 s and number dozens per series: Switchback's timers get the few buckets an
   * operator reads a cutover by instead (each series is per plan and phase or direction).
   */
  static final MeterFilter SWITCHBACK_BUCKETS =
      new MeterFilter() {
        @Override
        public DistributionStatisticConfig configure(
            Meter.Id id, DistributionStatisticConfig config) {
          List<Duration> buckets =
              switch (id.getName()) {
                case CutoverMetrics.WRITE_OUTAGE, CutoverMetrics.CLIENT_STALL -> OUTAGE_BUCKETS;
                case CutoverMetrics.PHASE_DURATION -> PHASE_BUCKETS;
                default -> null;
              };
          if (buckets == null) {
            return config;
          }
          return DistributionStatisticConfig.builder()
              .percentilesHistogram(false)
              .serviceLevelObjectives(
                  buckets.stream().mapToDouble(d -> (double) d.toNanos()).toArray())
              .minimumExpectedValue((double) buckets.get(0).toNanos())
              .maximumExpectedValue((double) buckets.get(buckets.size() - 1).toNanos())
              .build()
              .merge(config);
        }
      };

  /** No metrics: the SDK reports into a no-op scope. */
  public static Metrics disabled() {
    return new Metrics(new NoopScope(), null, null, null);
  }

  /** The port {@code SWITCHBACK_METRICS_PORT} asks for, naming the variable when it is wrong. */
  public static int portFrom(Map<String, String> env) {
    String value = env.get(PORT_VARIABLE);
    if (value == null || value.isBlank()) {
      return DEFAULT_PORT;
    }
    try {
      int port = Integer.parseInt(value.trim());
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          PORT_VARIABLE
              + "='"
              + value
              + "' is not a port: set a number from 1 to 65535, or 0 to turn metrics off");
    }
  }

  /** The address {@code SWITCHBACK_METRICS_ADDRESS} asks for: null (every interface) when unset. */
  public static InetAddress addressFrom(Map<String, String> env) {
    return address(env.get(ADDRESS_VARIABLE), ADDRESS_VARIABLE);
  }

  /**
   * {@code text} as a bind address of this host, null when blank (every interface); an address that
   * is not one of this host's, or not an address, is refused naming {@code setting}.
   */
  public static InetAddress address(String text, String setting) {
    if (text == null || text.isBlank()) {
      return null;
    }
    String value = text.trim();
    String fix =
        ": set an address of this host (127.0.0.1 keeps metrics on the host, 0.0.0.0 or unset"
            + " serves every interface)";
    InetAddress address;
    try {
      address = InetAddress.getByName(value);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          setting + "='" + value + "' is not an address or a known host name" + fix);
    }
    boolean local;
    try {
      local =
          address.isAnyLocalAddress()
              || address.isLoopbackAddress()
              || NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      local = false;
    }
    if (!local) {
      throw new IllegalArgumentException(
          setting
              + "='"
              + value
              + "' ("
              + address.getHostAddress()
              + ") is not on this host"
              + fix);
    }
    return address;
  }

  /** As {@link #start(InetAddress, int, int)} on every interface. */
  public static Metrics start(int port, int reportEverySeconds) {
    return start(null, port, reportEverySeconds);
  }

  /**
   * Starts the registry and the {@code /metrics} endpoint on {@code port} of {@code address} (null:
   * every interface, for a Prometheus server that scrapes from elsewhere); {@code port} 0 returns
   * {@link #disabled()}.
   *
   * @param reportEverySeconds how often the SDK's tally scope flushes into the registry
   */
  public static Metrics start(InetAddress address, int port, int reportEverySeconds) {
    if (port == 0) {
      return disabled();
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(SWITCHBACK_BUCKETS);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    HttpServer http;
    try {
      http =
          HttpServer.create(
              address == null ? new InetSocketAddress(port) : new InetSocketAddress(address, port),
              0);
    } catch (IOException e) {
      gc.close();
      registry.close();
      throw new IllegalStateException(
          "cannot serve metrics on port "
              + port
              + (address == null ? "" : " of " + address.getHostAddress())
              + " ("
              + e.getMessage()
              + "): set "
              + PORT_VARIABLE
              + " to a free port, or 0 to turn metrics off",
          e);
    }
    http.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
              exchange.sendResponseHeaders(405, -1);
              return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange
                .getResponseHeaders()
                .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    http.start();
    Scope scope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(registry))
            .reportEvery(com.uber.m3.util.Duration.ofSeconds(reportEverySeconds));
    if (address == null || address.isAnyLocalAddress()) {
      log.info(
          "metrics served on every interface at port {} (/metrics); set {}=127.0.0.1 to keep them"
              + " on this host",
          http.getAddress().getPort(),
          ADDRESS_VARIABLE);
    } else {
      log.info(
          "metrics served at http://{}:{}/metrics",
          address.getHostAddress(),
          http.getAddress().getPort());
    }
    return new Metrics(scope, registry, http, gc);
  }

  /** The scope the SDK reports into ({@code WorkflowServiceStubsOptions.setMetricsScope}). */
  public Scope scope() {
    return scope;
  }

  public boolean enabled() {
    return http != null;
  }

  /** The bound port, or 0 when disabled. */
  public int port() {
    return http == null ? 0 : http.getAddress().getPort();
  }

  /** The current scrape, for tests and diagnostics; empty when disabled. */
  public String scrape() {
    return registry == null ? "" : registry.scrape();
  }

  @Override
  public void close() {
    try {
      scope.close();
    } catch (ScopeCloseException e) {
      log.warn("closing the metrics scope failed: {}", e.getMessage());
    }
    if (http != null) {
      http.stop(0);
      gc.close();
      registry.close();
    }
  }
}
