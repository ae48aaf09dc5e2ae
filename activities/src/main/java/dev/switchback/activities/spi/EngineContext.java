package dev.switchback.activities.spi;

import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;

/** What an engine needs for one call: the cutover, the side it acts on, connections. */
public record EngineContext(
    String cutoverId, CutoverPlan plan, Side side, Connections connections) {

  public EndpointSpec endpoint() {
    return plan.endpoint(side);
  }

  /** The migration account's name, excluded from session checks. */
  public String migrationAccount() {
    return plan.migrationAccount() == null ? null : plan.migrationAccount().user();
  }
}
