package dev.switchback.worker;

import io.temporal.client.WorkflowClientOptions;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.LoadClientConfigProfileOptions;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * How to reach Temporal, loaded the way every Temporal tool loads it (the {@code temporal} CLI and
 * the other SDKs read the same sources): the profile in the client config file ({@code
 * TEMPORAL_CONFIG_FILE}, default {@code ~/.config/temporalio/temporal.toml}; profile {@code
 * TEMPORAL_PROFILE}, default {@code default}), then the {@code TEMPORAL_*} environment variables
 * ({@code TEMPORAL_ADDRESS}, {@code TEMPORAL_NAMESPACE}, {@code TEMPORAL_API_KEY}, {@code
 * TEMPORAL_TLS_CLIENT_CERT_PATH}, {@code TEMPORAL_TLS_CLIENT_KEY_PATH}, ...), then command-line
 * overrides.
 */
public final class TemporalSettings {
  public static final String DEFAULT_ADDRESS = "127.0.0.1:7233";
  public static final String DEFAULT_NAMESPACE = "default";

  private final ClientConfigProfile profile;

  private TemporalSettings(ClientConfigProfile profile) {
    this.profile = profile;
  }

  /** From the process environment and the config file, with optional overrides (null: none). */
  public static TemporalSettings load(String address, String namespace, String profileName) {
    return load(System.getenv(), address, namespace, profileName);
  }

  /**
   * From {@code env} (instead of the process environment) and the config file it names.
   *
   * @throws IllegalArgumentException naming the source when the config file or profile is wrong
   */
  public static TemporalSettings load(
      Map<String, String> env, String address, String namespace, String profileName) {
    LoadClientConfigProfileOptions.Builder options =
        LoadClientConfigProfileOptions.newBuilder().setEnvOverrides(env);
    if (profileName != null && !profileName.isBlank()) {
      options.setConfigFileProfile(profileName);
    }
    ClientConfigProfile loaded;
    try {
      loaded = ClientConfigProfile.load(options.build());
    } catch (NullPointerException e) {
      // The SDK's TOML reader fails this way on a config file without any [profile.*] table.
      throw new IllegalArgumentException(
          "the Temporal client config file"
              + configFileHint(env)
              + " has no profiles: add a [profile.default] table or remove the file",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the Temporal client config file"
              + configFileHint(env)
              + ": "
              + e.getMessage()
              + " (fix the file or point TEMPORAL_CONFIG_FILE elsewhere)",
          e);
    }
    ClientConfigProfile.Builder builder = loaded.toBuilder();
    if (address != null && !address.isBlank()) {
      builder.setAddress(address);
    }
    if (namespace != null && !namespace.isBlank()) {
      builder.setNamespace(namespace);
    }
    return new TemporalSettings(builder.build());
  }

  /** Settings for an explicit address (the embedded server), no TLS, no API key. */
  public static TemporalSettings of(String address, String namespace) {
    return new TemporalSettings(
        ClientConfigProfile.newBuilder().setAddress(address).setNamespace(namespace).build());
  }

  /** The same settings, pointed at {@code address} (used when the worker embeds the server). */
  public TemporalSettings withAddress(String address) {
    return new TemporalSettings(profile.toBuilder().setAddress(address).build());
  }

  public String address() {
    String a = profile.getAddress();
    return a == null || a.isBlank() ? DEFAULT_ADDRESS : a;
  }

  public String namespace() {
    String n = profile.getNamespace();
    return n == null || n.isBlank() ? DEFAULT_NAMESPACE : n;
  }

  public boolean tls() {
    if (profile.getTls() != null) {
      return !Boolean.TRUE.equals(profile.getTls().isDisabled());
    }
    return apiKeySet();
  }

  public boolean apiKeySet() {
    return profile.getApiKey() != null && !profile.getApiKey().isEmpty();
  }

  public WorkflowServiceStubsOptions.Builder stubsOptions() {
    return WorkflowServiceStubsOptions.newBuilder(profile.toWorkflowServiceStubsOptions())
        .setTarget(address());
  }

  public WorkflowClientOptions.Builder clientOptions() {
    return WorkflowClientOptions.newBuilder(profile.toWorkflowClientOptions())
        .setNamespace(namespace());
  }

  /** For logs and error messages: never the API key or key material. */
  @Override
  public String toString() {
    return address()
        + " namespace "
        + namespace()
        + (tls() ? " (TLS" + (apiKeySet() ? ", API key)" : ")") : "");
  }

  private static String configFileHint(Map<String, String> env) {
    String file = env.get("TEMPORAL_CONFIG_FILE");
    return file == null ? " (~/.config/temporalio/temporal.toml)" : " " + file;
  }
}
