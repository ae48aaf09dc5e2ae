package dev.switchback.activities.mongodb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.switchback.activities.spi.Transport.Protection;
import dev.switchback.plan.EndpointSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The worker's MongoDB URL as the driver reads it: TLS on, and checks not turned off. */
class MongoTransportTest {

  @Test
  void urlsWithoutVerifiedTlsAreNamed() {
    Map<String, Protection> urls =
        Map.of(
            "mongodb://db:27017/app",
            Protection.PLAINTEXT,
            "mongodb://db:27017/app?tls=true",
            Protection.VERIFIED,
            "mongodb://db:27017/app?ssl=true&tlsAllowInvalidHostnames=true",
            Protection.UNVERIFIED,
            "mongodb://db:27017/app?tls=true&tlsInsecure=true",
            Protection.UNVERIFIED,
            "mongodb://db:27017/app?tls=true&tlsAllowInvalidCertificates=true",
            Protection.UNVERIFIED);
    urls.forEach(
        (url, expected) ->
            assertEquals(
                expected,
                new MongoEngine()
                    .transport("source", new EndpointSpec("mongodb", url, "sb", null, null, null))
                    .protection(),
                url));
  }
}
