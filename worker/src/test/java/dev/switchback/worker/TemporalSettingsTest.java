package dev.switchback.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporalSettingsTest {
  @TempDir Path dir;

  /** An environment with a config file of its own, so the machine's file cannot leak in. */
  private Map<String, String> env(String... pairs) throws Exception {
    Map<String, String> env = new HashMap<>();
    Path empty = dir.resolve("blank.toml");
    Files.writeString(empty, "[profile.default]\n");
    env.put("TEMPORAL_CONFIG_FILE", empty.toString());
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  void withNothingConfiguredTheLocalDefaultServerIsUsed() throws Exception {
    TemporalSettings s = TemporalSettings.load(env(), null, null, null);
    assertEquals("127.0.0.1:7233", s.address());
    assertEquals("default", s.namespace());
    assertFalse(s.tls());
  }

  @Test
  void temporalEnvironmentVariablesSetAddressNamespaceAndApiKey() throws Exception {
    TemporalSettings s =
        TemporalSettings.load(
            env(
                "TEMPORAL_ADDRESS", "ns1.abcde.tmprl.cloud:7233",
                "TEMPORAL_NAMESPACE", "ns1.abcde",
                "TEMPORAL_API_KEY", "secret-key-value"),
            null,
            null,
            null);
    assertEquals("ns1.abcde.tmprl.cloud:7233", s.address());
    assertEquals("ns1.abcde", s.namespace());
    assertTrue(s.apiKeySet());
    assertTrue(s.tls(), "an API key implies TLS");
    assertEquals("ns1.abcde", s.clientOptions().build().getNamespace());
    assertEquals("ns1.abcde.tmprl.cloud:7233", s.stubsOptions().build().getTarget());
  }

  @Test
  void logsNeverShowTheApiKey() throws Exception {
    TemporalSettings s =
        TemporalSettings.load(env("TEMPORAL_API_KEY", "secret-key-value"), null, null, null);
    assertFalse(s.toString().contains("secret-key-value"), s.toString());
    assertTrue(s.toString().contains("API key"), s.toString());
  }

  @Test
  void commandLineOverridesWinOverTheEnvironment() throws Exception {
    TemporalSettings s =
        TemporalSettings.load(
            env("TEMPORAL_ADDRESS", "far:7233", "TEMPORAL_NAMESPACE", "prod"),
            "near:7233",
            "staging",
            null);
    assertEquals("near:7233", s.address());
    assertEquals("staging", s.namespace());
  }

  @Test
  void profileFromTheConfigFileIsSelectedByTemporalProfile() throws Exception {
    Path file = dir.resolve("temporal.toml");
    Files.writeString(
        file,
        """
        [profile.default]
        address = "localhost:7233"

        [profile.prod]
        address = "prod.example:7233"
        namespace = "cutovers"
        """);
    Map<String, String> env = env("TEMPORAL_CONFIG_FILE", file.toString());
    assertEquals("localhost:7233", TemporalSettings.load(env, null, null, null).address());
    env.put("TEMPORAL_PROFILE", "prod");
    TemporalSettings prod = TemporalSettings.load(env, null, null, null);
    assertEquals("prod.example:7233", prod.address());
    assertEquals("cutovers", prod.namespace());
    env.remove("TEMPORAL_PROFILE");
    assertEquals("cutovers", TemporalSettings.load(env, null, null, "prod").namespace());
  }

  @Test
  void clientCertificateInTheEnvironmentTurnsTlsOn() throws Exception {
    TemporalSettings s =
        TemporalSettings.load(
            env(
                "TEMPORAL_TLS_CLIENT_CERT_PATH", "/etc/switchback/client.pem",
                "TEMPORAL_TLS_CLIENT_KEY_PATH", "/etc/switchback/client.key"),
            null,
            null,
            null);
    assertTrue(s.tls());
  }

  @Test
  void aConfigFileWithoutProfilesIsAnErrorNamingTheFile() throws Exception {
    Path file = dir.resolve("empty.toml");
    Files.writeString(file, "");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TemporalSettings.load(
                    Map.of("TEMPORAL_CONFIG_FILE", file.toString()), null, null, null));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void anUnknownProfileIsAnErrorNamingIt() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TemporalSettings.load(env("TEMPORAL_PROFILE", "nope"), null, null, null));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }
}
