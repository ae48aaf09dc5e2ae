package dev.switchback.activities.dts;

import com.aliyun.dts20200101.Client;
import com.aliyun.teaopenapi.models.Config;
import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One SDK client per (endpoint, region), shared by the worker's activities. Credentials come from
 * the Alibaba Cloud default credential chain of com.aliyun:credentials-java (system properties,
 * ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, the profile file
 * ~/.alibabacloud/credentials or ALIBABA_CLOUD_CREDENTIALS_FILE, and the ECS RAM role named by
 * ALIBABA_CLOUD_ECS_METADATA), resolved on the worker: the plan names a region and an endpoint,
 * never a key, so no secret reaches workflow history.
 */
public final class DtsClients {
  /** Where credentials come from; tests give a fixed AccessKey pair. */
  public interface CredentialSource {
    com.aliyun.credentials.Client get() throws Exception;
  }

  private final CredentialSource credentials;
  private final Map<String, Client> clients = new ConcurrentHashMap<>();

  public DtsClients(CredentialSource credentials) {
    this.credentials = credentials;
  }

  /** The worker's default: the standard credential chain. */
  public static DtsClients fromCredentialChain() {
    return new DtsClients(com.aliyun.credentials.Client::new);
  }

  /** A fixed AccessKey pair (tests, and tools that already hold one). */
  public static DtsClients fromAccessKey(String accessKeyId, String accessKeySecret) {
    return new DtsClients(
        () -> {
          com.aliyun.credentials.models.Config c = new com.aliyun.credentials.models.Config();
          c.type = "access_key";
          c.accessKeyId = accessKeyId;
          c.accessKeySecret = accessKeySecret;
          return new com.aliyun.credentials.Client(c);
        });
  }

  DtsApi api(DtsOptions options) {
    String key = options.protocol() + "://" + options.endpoint() + "|" + options.regionId();
    return new DtsApi(clients.computeIfAbsent(key, k -> open(options)), options);
  }

  private Client open(DtsOptions options) {
    com.aliyun.credentials.Client credential;
    try {
      credential = credentials.get();
    } catch (Exception e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "no Alibaba Cloud credentials for DTS on this worker ("
              + e.getMessage()
              + "): set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile"
              + " in ~/.alibabacloud/credentials, or ALIBABA_CLOUD_ECS_METADATA=<RAM role> on an"
              + " ECS worker, then restart the worker",
          FailureTypes.PERMISSION);
    }
    Config config =
        new Config()
            .setCredential(credential)
            .setRegionId(options.regionId())
            .setEndpoint(options.endpoint())
            .setProtocol(options.protocol())
            .setConnectTimeout(5_000)
            .setReadTimeout(15_000)
            .setUserAgent("switchback");
    try {
      return new Client(config);
    } catch (Exception e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "cannot build the DTS client for "
              + options.endpoint()
              + " in "
              + options.regionId()
              + ": "
              + e.getMessage(),
          FailureTypes.INVALID_PLAN);
    }
  }
}
