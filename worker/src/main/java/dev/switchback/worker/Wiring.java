package dev.switchback.worker;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.Connections;
import java.util.List;

/**
 * The one place that names the concrete workflow, activities, engines, providers and routers. The
 * worker and the CLI ({@code plan check}) build everything from here, so adding an engine is adding
 * its package and one {@code register} line below.
 */
public final class Wiring {
  private Wiring() {}

  /** Engines, providers and routers by the names plans use. */
  public static Registry registry() {
    Registry registry = new Registry();
    // TODO(lead): register every engine, provider and router, one line each, e.g.
    //   registry.engine(new dev.switchback.activities.postgres.PostgresEngine());
    //   registry.provider(new dev.switchback.activities.postgres.PostgresLogicalReplication());
    //   registry.router(new dev.switchback.activities.router.WebhookRouter(...));
    return registry;
  }

  /** The workflow implementations the worker registers on task queue {@code switchback}. */
  public static List<Class<?>> workflowTypes() {
    // TODO(lead): return List.of(dev.switchback.workflow.CutoverWorkflowImpl.class);
    return List.of();
  }

  /** The activity implementation objects, sharing one registry and one set of pools. */
  public static List<Object> activities(Registry registry, Connections connections) {
    // TODO(lead): return List.of(
    //     new dev.switchback.activities.impl.MigrationActivitiesImpl(registry, connections),
    //     new dev.switchback.activities.impl.DatabaseActivitiesImpl(registry, connections),
    //     new dev.switchback.activities.impl.RouterActivitiesImpl(registry, connections),
    //     new dev.switchback.activities.impl.VerificationActivitiesImpl(registry, connections));
    return List.of();
  }

  /**
   * The database activities called in-process by {@code switchback plan check} for the read-only
   * preflight, outside any Temporal activity (so {@code preflight} must not need an activity
   * context).
   *
   * @throws IllegalStateException until the implementation is wired
   */
  public static DatabaseActivities databaseActivities(Registry registry, Connections connections) {
    // TODO(lead): return new dev.switchback.activities.impl.DatabaseActivitiesImpl(registry,
    //     connections);
    throw new IllegalStateException(
        "this build has no database activities wired (dev.switchback.worker.Wiring)");
  }

  /** True once {@link #workflowTypes()} names the Cutover workflow. */
  public static boolean wired() {
    return !workflowTypes().isEmpty();
  }
}
