package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.redis.RedisEngine;
import dev.switchback.activities.router.haproxy.HaproxyRouter;
import dev.switchback.activities.spi.Registry;
import java.util.IdentityHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class WiringTest {

  @Test
  void theRegistryHandsTheWorkerEveryEngineThatHoldsResourcesOnce() throws Exception {
    List<AutoCloseable> closeables = Wiring.registry().closeables();
    try {
      // The Redis engine renews fences on a thread of its own: the worker must stop it.
      assertEquals(
          1, closeables.stream().filter(c -> c instanceof RedisEngine).count(), "" + closeables);
      IdentityHashMap<AutoCloseable, Boolean> seen = new IdentityHashMap<>();
      closeables.forEach(c -> seen.put(c, true));
      assertTrue(seen.size() == closeables.size(), "each closed once: " + closeables);
    } finally {
      for (AutoCloseable c : closeables) {
        c.close();
      }
    }
  }

  @Test
  void plansNamingTheHaproxyRouterReachIt() throws Exception {
    Registry registry = Wiring.registry();
    try {
      assertInstanceOf(HaproxyRouter.class, registry.router("haproxy"));
    } finally {
      for (AutoCloseable c : registry.closeables()) {
        c.close();
      }
    }
  }
}
