package dev.switchback.activities.spi;

import dev.switchback.activities.support.Connections;
import dev.switchback.plan.CutoverPlan;

/**
 * What a provider needs for one call: the cutover it serves (its id keys idempotency) and a way to
 * reach the endpoints with resolved secrets.
 */
public record MigrationContext(String cutoverId, CutoverPlan plan, Connections connections) {}
