package dev.switchback.activities.spi;

import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import java.sql.Connection;
import java.sql.SQLException;

/** What an engine needs for one call: the cutover, the side it acts on, connections. */
public record EngineContext(
    String cutoverId, CutoverPlan plan, Side side, Connections connections) {

  public EndpointSpec endpoint() {
    return plan.endpoint(side);
  }

  /** A pooled connection to this side's endpoint; the caller closes it. */
  public Connection connection() throws SQLException {
    return connections.connection(side.word(), endpoint());
  }

  /** The migration account's name, excluded from session checks. */
  public String migrationAccount() {
    return plan.migrationAccount() == null ? null : plan.migrationAccount().user();
  }
}
