package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where the metrics endpoint listens (issue 11: metrics bound every interface, with no choice). */
class MetricsTest {

  @Test
  void aLoopbackAddressKeepsMetricsOnTheHost() throws Exception {
    InetAddress loopback = Metrics.addressFrom(Map.of(Metrics.ADDRESS_VARIABLE, "127.0.0.1"));
    try (Metrics metrics = Metrics.start(loopback, SwitchbackWorkerTest.freePort(), 10)) {
      HttpResponse<String> scrape =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + metrics.port() + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertEquals(200, scrape.statusCode());
      assertTrue(scrape.body().contains("jvm_memory_used_bytes"), scrape.body());
      InetAddress other = LocalAddresses.nonLoopback();
      assumeTrue(
          other != null,
          "this host has no non-loopback IPv4 address to prove metrics are not reachable on");
      try (Socket s = new Socket()) {
        assertThrows(
            IOException.class,
            () -> s.connect(new InetSocketAddress(other, metrics.port()), 1000),
            "metrics bound to 127.0.0.1 must not be reachable on " + other);
      }
    }
  }

  @Test
  void unsetServesEveryInterface() {
    assertNull(Metrics.addressFrom(Map.of()));
    assertNull(Metrics.addressFrom(Map.of(Metrics.ADDRESS_VARIABLE, " ")));
  }

  @Test
  void anAddressOfAnotherHostIsRefusedNamingTheSetting() {
    // TEST-NET-3 (RFC 5737): never an address of this host.
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.addressFrom(Map.of(Metrics.ADDRESS_VARIABLE, "203.0.113.7")));
    assertTrue(
        e.getMessage().contains(Metrics.ADDRESS_VARIABLE + "='203.0.113.7'"), e.getMessage());
    assertTrue(e.getMessage().contains("not on this host"), e.getMessage());
    assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
  }

  @Test
  void textThatIsNoAddressIsRefusedNamingTheSetting() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Metrics.address("no such host.invalid", "--metrics-address"));
    assertTrue(
        e.getMessage().startsWith("--metrics-address='no such host.invalid'"), e.getMessage());
  }
}
