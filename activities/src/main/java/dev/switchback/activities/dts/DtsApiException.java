package dev.switchback.activities.dts;

import dev.switchback.activities.FailureTypes;
import io.temporal.failure.ApplicationFailure;

/**
 * A DTS OpenAPI call that did not succeed, classified once so every caller treats the same error
 * the same way. DTS reports errors two ways: the gateway's HTTP 4xx/5xx with {@code Code} and
 * {@code Message}, and the product's own body with {@code Success=false}, {@code ErrCode}, {@code
 * ErrMessage} and {@code DynamicMessage} (which replaces the {@code %s} in ErrMessage); see any DTS
 * API page, e.g. https://www.alibabacloud.com/help/en/dts/developer-reference/api-stopdtsjob.
 */
public final class DtsApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What retrying can and cannot fix. */
  public enum Kind {
    /** Throttling.*, 5xx, network: Temporal retries with backoff. */
    TRANSIENT,
    /** Forbidden.*, NoPermission, bad AccessKey or signature: a human must grant or fix. */
    PERMISSION,
    /** The job does not exist (or DTS says the DtsJobId is not valid). */
    NOT_FOUND,
    /** A parameter DTS rejects: the plan is wrong. */
    INVALID,
    /** Anything else; retried, the message is visible on the pending activity. */
    OTHER
  }

  private final String action;
  private final String jobId;
  private final String code;
  private final Integer httpStatus;
  private final Kind kind;

  DtsApiException(
      String action, String jobId, String code, Integer httpStatus, String message, Kind kind) {
    super(
        "DTS "
            + action
            + (jobId == null ? "" : " on job " + jobId)
            + " failed: "
            + (code == null || code.isBlank() ? "" : code + " ")
            + (httpStatus == null ? "" : "(HTTP " + httpStatus + ") ")
            + (message == null ? "" : message));
    this.action = action;
    this.jobId = jobId;
    this.code = code;
    this.httpStatus = httpStatus;
    this.kind = kind;
  }

  public String action() {
    return action;
  }

  public String jobId() {
    return jobId;
  }

  public String code() {
    return code;
  }

  public Integer httpStatus() {
    return httpStatus;
  }

  public Kind kind() {
    return kind;
  }

  /**
   * Classifies a DTS error. Codes are the documented common error codes of Alibaba Cloud OpenAPI
   * (Throttling.User, Forbidden.RAM, InvalidAccessKeyId.NotFound, SignatureDoesNotMatch, ...) and
   * DTS's "The Value of Input Parameter %s is not valid" with DynamicMessage naming DtsJobId, which
   * is how DTS says a job id does not exist.
   */
  static Kind classify(String code, Integer http, String dynamicMessage) {
    String c = code == null ? "" : code;
    if (c.startsWith("Throttling")
        || c.equals("ServiceUnavailable")
        || c.equals("InternalError")
        || c.equals("InvalidSecurityToken.Expired")
        || (http != null && http >= 500)) {
      return Kind.TRANSIENT;
    }
    if (c.startsWith("InvalidAccessKeyId")
        || c.startsWith("InvalidAccessKeySecret")
        || c.startsWith("InvalidSecurityToken")
        || c.equals("SignatureDoesNotMatch")
        || c.equals("IncompleteSignature")) {
      return Kind.PERMISSION;
    }
    if (c.endsWith("NotFound")
        || c.contains("NotExist")
        || c.equals("InvalidJobId")
        || "DtsJobId".equals(dynamicMessage)) {
      return Kind.NOT_FOUND;
    }
    if (c.startsWith("Forbidden")
        || c.contains("NoPermission")
        || c.startsWith("NotAuthorized")
        || c.equals("AccessDenied")
        || (http != null && http == 401)) {
      return Kind.PERMISSION;
    }
    if (c.startsWith("InvalidParameter") || c.startsWith("MissingParameter")) {
      return Kind.INVALID;
    }
    return Kind.OTHER;
  }

  /**
   * The Temporal failure for this error: retryable for TRANSIENT and OTHER (Temporal's retry policy
   * supplies the backoff), non-retryable with a fix for the rest.
   */
  public ApplicationFailure toFailure(String regionId) {
    return switch (kind) {
      case TRANSIENT ->
          ApplicationFailure.newFailureWithCause(
              getMessage() + "; retrying with backoff", "DtsTransient", this);
      case OTHER -> ApplicationFailure.newFailureWithCause(getMessage(), "DtsError", this);
      case PERMISSION ->
          ApplicationFailure.newNonRetryableFailureWithCause(
              getMessage()
                  + "; grant the worker's RAM identity dts:"
                  + action
                  + " on acs:dts:"
                  + regionId
                  + ":*:instance/* (docs/dts.md lists every action Switchback calls), or fix the"
                  + " credentials the worker finds in its credential chain",
              FailureTypes.PERMISSION,
              this);
      case NOT_FOUND ->
          ApplicationFailure.newNonRetryableFailureWithCause(
              getMessage()
                  + "; no DTS job "
                  + (jobId == null ? "" : jobId + " ")
                  + "in region "
                  + regionId
                  + ": check migration.instance and migration.options.regionId",
              FailureTypes.INSTANCE_STATE,
              this);
      case INVALID ->
          ApplicationFailure.newNonRetryableFailureWithCause(
              getMessage() + "; check migration.options in the plan",
              FailureTypes.INVALID_PLAN,
              this);
    };
  }
}
