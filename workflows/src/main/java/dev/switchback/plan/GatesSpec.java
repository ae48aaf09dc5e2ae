package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The three gates of the procedure. {@code quiesce} comes before any write stops, {@code switch}
 * before the application is pointed at the destination, {@code finalize} after the soak, before the
 * reverse instance is terminated (the last moment a rollback is possible).
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GatesSpec(
    GateSpec quiesce,
    @JsonProperty("switch") GateSpec switchGate,
    @JsonProperty("finalize") GateSpec finalizeGate) {

  public static final String QUIESCE = "quiesce";
  public static final String SWITCH = "switch";
  public static final String FINALIZE = "finalize";

  public static GatesSpec defaults() {
    return new GatesSpec(null, null, null).withDefaults();
  }

  public GatesSpec withDefaults() {
    return new GatesSpec(
        fill(quiesce, "1h", "abort"),
        fill(switchGate, "15m", "rollback"),
        fill(finalizeGate, null, "rollback"));
  }

  /** The gate named {@code name}, or null when there is no such gate. */
  public GateSpec gate(String name) {
    return switch (name) {
      case QUIESCE -> quiesce;
      case SWITCH -> switchGate;
      case FINALIZE -> finalizeGate;
      default -> null;
    };
  }

  private static GateSpec fill(GateSpec gate, String timeout, String onTimeout) {
    if (gate == null) {
      return new GateSpec("approval", timeout, onTimeout);
    }
    return new GateSpec(
        gate.mode() == null ? "approval" : gate.mode(),
        gate.timeout() == null ? timeout : gate.timeout(),
        gate.onTimeout() == null ? onTimeout : gate.onTimeout());
  }
}
