package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One gate.
 *
 * @param mode {@code approval} (a listed approver must approve) or {@code auto}
 * @param timeout how long to wait for an approval; absent waits for ever
 * @param onTimeout {@code abort} (only at the quiesce gate, before any write stopped) or {@code
 *     rollback}
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GateSpec(String mode, String timeout, String onTimeout) {

  public boolean auto() {
    return "auto".equals(mode);
  }
}
