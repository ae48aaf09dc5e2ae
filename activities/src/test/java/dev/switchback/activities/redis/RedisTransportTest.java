package dev.switchback.activities.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.Transport;
import dev.switchback.activities.spi.Transport.Protection;
import dev.switchback.plan.EndpointSpec;
import org.junit.jupiter.api.Test;

/** redis:// is plaintext, rediss:// TLS with the server checked (Jedis' default). */
class RedisTransportTest {

  private static Transport of(String url) {
    return new RedisEngine()
        .transport("destination", new EndpointSpec("redis", url, null, null, null, null));
  }

  @Test
  void onlyRedissIsTls() {
    Transport plain = of("redis://cache:6379");
    assertEquals(Protection.PLAINTEXT, plain.protection());
    assertTrue(plain.detail().contains("write rediss://host:port"), plain.detail());
    assertEquals(Protection.VERIFIED, of("rediss://cache:6380").protection());
  }
}
