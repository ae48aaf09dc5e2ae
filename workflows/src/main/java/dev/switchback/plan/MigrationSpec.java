package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The migration instance that carries writes from source to destination, and the reverse instance
 * that carries them back after the switch.
 *
 * @param provider {@code postgres} (logical replication: a subscription is the instance), {@code
 *     mysql}/{@code mariadb} (GTID replication: a channel is the instance), {@code dts} (Alibaba
 *     Cloud DTS job id), {@code redis} (REPLICAOF)
 * @param instance the forward instance: subscription name, channel name or DTS job id
 * @param reverseInstance the reverse instance's name; default {@code sb_rev_<plan name>}
 * @param options provider-specific settings (for example DTS region and endpoint)
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationSpec(
    String provider, String instance, String reverseInstance, Map<String, String> options) {

  public MigrationSpec withDefaults(String planName) {
    String reverse = reverseInstance;
    if (reverse == null && planName != null) {
      reverse = "sb_rev_" + planName.replaceAll("[^A-Za-z0-9_]", "_").toLowerCase();
    }
    return new MigrationSpec(
        provider, instance, reverse, options == null ? Map.of() : Map.copyOf(options));
  }

  public String option(String key, String fallback) {
    return options == null ? fallback : options.getOrDefault(key, fallback);
  }

  /**
   * Whether the provider proves a drain by an exact position (an LSN, a GTID set, a replication
   * offset). DTS exposes none, so its drain is the seed's stability window: latency 0, then a
   * window of steady latency, which the plan's drain deadline must leave room for. The plan has to
   * know this before any worker is asked, so it is declared here, beside the other provider traits
   * the workflow needs.
   */
  public boolean provesDrainExactly() {
    return !"dts".equals(provider);
  }

  /**
   * Whether the reverse instance is itself the old source's fence: a Redis source attached as the
   * reverse instance's read-only replica, whose pause was lifted then. Terminating the reverse
   * instance leaves that source a writable master.
   */
  public boolean reverseInstanceFencesSource() {
    return "redis".equals(provider) && reverseWritesThroughFence();
  }

  /**
   * Whether the engine's write fence lasts only while a worker renews it (Redis CLIENT PAUSE WRITE,
   * renewed from one worker's memory): such a fence cannot be left standing after the cutover ends.
   */
  public boolean fenceHeldByWorker() {
    return "redis".equals(provider);
  }

  /**
   * Whether the reverse instance can write into the source while the application fence is up.
   * Native replication can (PostgreSQL apply workers ignore a read-only default; MySQL/MariaDB
   * replication threads ignore read_only), so the fence stays up and a stray client cannot write to
   * the old source. Redis too, in its own way: REPLICAOF is sent while the CLIENT PAUSE holds and
   * turns the old source into a read-only replica, a fence by itself, after which the provider
   * lifts the pause (which would hold back the reverse stream). DTS writes as an ordinary account,
   * so the seed lifts the source's restriction before starting it. Option {@code
   * reverseWritesThroughFence} overrides.
   */
  public boolean reverseWritesThroughFence() {
    String value = option("reverseWritesThroughFence", null);
    if (value != null) {
      return Boolean.parseBoolean(value);
    }
    return !"dts".equals(provider);
  }
}
