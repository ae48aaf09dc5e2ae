package dev.switchback.activities.spi;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Engines, providers and routers by the names plans use. Adding an engine is adding its package and
 * one {@code register} line where the worker builds its registry.
 */
public final class Registry {
  private final Map<String, MigrationProvider> providers = new TreeMap<>();
  private final Map<String, DatabaseEngine> engines = new TreeMap<>();
  private final Map<String, TrafficRouter> routers = new TreeMap<>();

  public Registry provider(MigrationProvider p) {
    providers.put(p.name(), p);
    return this;
  }

  public Registry engine(DatabaseEngine e) {
    engines.put(e.name(), e);
    return this;
  }

  public Registry router(TrafficRouter r) {
    routers.put(r.name(), r);
    return this;
  }

  public MigrationProvider provider(String name) {
    return found("migration.provider", name, providers);
  }

  public DatabaseEngine engine(String name) {
    return found("engine", name, engines);
  }

  public TrafficRouter router(String name) {
    return found("router.type", name, routers);
  }

  /**
   * The engines, providers and routers that hold resources of their own (a Redis fence renewer),
   * for the worker to close when it stops.
   */
  public List<AutoCloseable> closeables() {
    List<AutoCloseable> out = new ArrayList<>();
    for (Map<String, ?> m : List.of(providers, engines, routers)) {
      for (Object o : m.values()) {
        if (o instanceof AutoCloseable c && !out.contains(c)) {
          out.add(c);
        }
      }
    }
    return out;
  }

  private static <T> T found(String field, String name, Map<String, T> map) {
    T t = map.get(name);
    if (t == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          field + " '" + name + "' is not supported by this worker; it supports " + map.keySet(),
          FailureTypes.INVALID_PLAN);
    }
    return t;
  }
}
