package dev.switchback.activities.dts;

import com.aliyun.dts20200101.models.DescribeDtsJobDetailResponseBody;
import java.time.Instant;
import java.util.Locale;

/**
 * A DTS job as Switchback reads it from DescribeDtsJobDetail
 * (https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedtsjobdetail).
 *
 * <p>Latency unit. The page documents Delay as "the latency of incremental data migration or
 * synchronization" and adds: for data migration tasks the unit is milliseconds, for data
 * synchronization tasks it is seconds. Switchback converts explicitly by job type: MIGRATION ->
 * Delay is milliseconds; SYNC -> Delay is seconds (x1000). A reverse job is always SYNC
 * (CreateReverseDtsJob: "a reverse task is a data synchronization task"). When the type cannot be
 * told (no JobType in the answer and a status both kinds share), Delay is read as seconds: that can
 * only overstate the latency, so Switchback waits longer, whereas reading seconds as milliseconds
 * would understate it a thousandfold and could pass the 5 s gate and the drain's stability window
 * with writes still in flight.
 *
 * @param jobId DtsJobId
 * @param name DtsJobName
 * @param dtsInstanceId DtsInstanceID
 * @param rawStatus Status as DTS says it
 * @param jobType MIGRATION, SYNC or UNKNOWN (see above)
 * @param incremental MigrationMode.DataSynchronization: the job has an incremental stage
 * @param delay Delay as returned
 * @param payType PrePaid (subscription) or PostPaid (pay-as-you-go)
 * @param expireTime ExpireTime (subscription only)
 * @param checkpoint Checkpoint: the incremental offset, a UNIX timestamp in seconds
 * @param error ErrorMessage, or the incremental stage's ErrorMessage
 */
record DtsJobView(
    String jobId,
    String name,
    String dtsInstanceId,
    String rawStatus,
    String jobType,
    boolean incremental,
    Long delay,
    String payType,
    String expireTime,
    Long checkpoint,
    String error) {

  static DtsJobView of(String jobId, DescribeDtsJobDetailResponseBody b, boolean reverse) {
    boolean incremental =
        b.getMigrationMode() != null
            && Boolean.TRUE.equals(b.getMigrationMode().getDataSynchronization());
    String error = b.getErrorMessage();
    if ((error == null || error.isBlank()) && b.getDataSynchronizationStatus() != null) {
      error = b.getDataSynchronizationStatus().getErrorMessage();
    }
    return new DtsJobView(
        b.getDtsJobId() == null ? jobId : b.getDtsJobId(),
        b.getDtsJobName(),
        b.getDtsInstanceID(),
        b.getStatus(),
        jobType(b.getJobType(), b.getStatus(), reverse),
        incremental,
        b.getDelay(),
        b.getPayType(),
        b.getExpireTime(),
        b.getCheckpoint(),
        error == null || error.isBlank() ? null : error);
  }

  static String jobType(String field, String status, boolean reverse) {
    if (reverse) {
      return "SYNC";
    }
    if (field != null) {
      String f = field.toUpperCase(Locale.ROOT);
      if (f.equals("MIGRATION") || f.equals("SYNC")) {
        return f;
      }
    }
    if (status == null) {
      return "UNKNOWN";
    }
    // Status words only one kind of task uses (DescribeDtsJobs, request parameter Status).
    return switch (status) {
      case "Migrating", "MigrationFailed" -> "MIGRATION";
      case "Synchronizing", "Initializing", "InitializeFailed", "Modifying" -> "SYNC";
      default -> "UNKNOWN";
    };
  }

  /** The latency in milliseconds, by the unit decision above; null when DTS gives none. */
  Long latencyMs() {
    if (delay == null || delay < 0) {
      return null;
    }
    return "MIGRATION".equals(jobType) ? delay : delay * 1000L;
  }

  String delayUnit() {
    return "MIGRATION".equals(jobType) ? "ms" : "s";
  }

  /**
   * Switchback's status word for DTS's. The values are those DescribeDtsJobs documents for data
   * migration and data synchronization tasks; Suspending is documented as "the task is paused".
   * Suspended and Paused are not documented values but read as paused if DTS ever answers them.
   */
  String status() {
    if (rawStatus == null) {
      return "UNKNOWN";
    }
    return switch (rawStatus) {
      case "Migrating", "Synchronizing", "Catched" -> "RUNNING";
      case "Suspending", "Suspended", "Paused" -> "PAUSED";
      case "Finished" -> "COMPLETED";
      case "Failed", "MigrationFailed", "PrecheckFailed", "InitializeFailed" -> "FAILED";
      case "NotStarted",
          "NotConfigured",
          "Prechecking",
          "PreCheckPass",
          "Initializing",
          "Starting" ->
          "STARTING";
      default -> rawStatus.toUpperCase(Locale.ROOT);
    };
  }

  /** The incremental offset as a time, or null. */
  Instant checkpointTime() {
    return checkpoint == null || checkpoint <= 0 ? null : Instant.ofEpochSecond(checkpoint);
  }
}
