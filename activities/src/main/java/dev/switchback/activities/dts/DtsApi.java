package dev.switchback.activities.dts;

import com.aliyun.dts20200101.Client;
import com.aliyun.dts20200101.models.DeleteDtsJobRequest;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDetailsRequest;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDetailsResponseBody;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDiffDetailsRequest;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDiffDetailsResponseBody;
import com.aliyun.dts20200101.models.DescribeDtsJobDetailRequest;
import com.aliyun.dts20200101.models.DescribeDtsJobDetailResponseBody;
import com.aliyun.dts20200101.models.DescribeDtsJobsRequest;
import com.aliyun.dts20200101.models.DescribeDtsJobsResponseBody;
import com.aliyun.dts20200101.models.ModifyDtsJobNameRequest;
import com.aliyun.dts20200101.models.StopDtsJobRequest;
import com.aliyun.dts20200101.models.SuspendDtsJobRequest;
import com.aliyun.tea.TeaException;
import com.aliyun.tea.TeaUnretryableException;
import com.aliyun.teaopenapi.models.OpenApiRequest;
import com.aliyun.teaopenapi.models.Params;
import com.aliyun.teautil.models.RuntimeOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DTS OpenAPI calls Switchback makes, one method per documented action, through the official
 * SDK (com.aliyun:dts20200101). The two actions that SDK version lacks, CreateReverseDtsJob and
 * StartReverseWriter, go through the same SDK's generic {@code callApi}, so signing, endpoint and
 * error handling are the SDK's for every call. Parameter names are the documented ones; each method
 * names the page it follows.
 *
 * <p>The SDK's own retries stay off (RuntimeOptions.autoretry unset): Temporal retries the activity
 * with backoff, so a throttled call is not hammered from two layers at once.
 */
final class DtsApi {
  static final String VERSION = "2020-01-01";
  private final Client client;
  private final DtsOptions options;

  DtsApi(Client client, DtsOptions options) {
    this.client = client;
    this.options = options;
  }

  DtsOptions options() {
    return options;
  }

  /**
   * DescribeDtsJobDetail: DtsJobId, DtsInstanceID, RegionId.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedtsjobdetail
   */
  DescribeDtsJobDetailResponseBody describeJob(String jobId, String dtsInstanceId) {
    DescribeDtsJobDetailRequest r =
        new DescribeDtsJobDetailRequest().setDtsJobId(jobId).setRegionId(options.regionId());
    if (dtsInstanceId != null) {
      r.setDtsInstanceID(dtsInstanceId);
    }
    DescribeDtsJobDetailResponseBody body =
        call("DescribeDtsJobDetail", jobId, () -> client.describeDtsJobDetail(r).getBody());
    check(
        "DescribeDtsJobDetail",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
    return body;
  }

  /**
   * DescribeDtsJobs: Region (required), JobType, Type + Params, DtsJobId, PageSize, PageNumber.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedtsjobs
   */
  DescribeDtsJobsResponseBody describeJobs(DescribeDtsJobsRequest r) {
    r.setRegion(options.regionId());
    DescribeDtsJobsResponseBody body =
        call("DescribeDtsJobs", r.getDtsJobId(), () -> client.describeDtsJobs(r).getBody());
    check(
        "DescribeDtsJobs",
        r.getDtsJobId(),
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
    return body;
  }

  /**
   * SuspendDtsJob: DtsJobId, DtsInstanceId, RegionId.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-suspenddtsjob
   */
  void suspend(String jobId, String dtsInstanceId) {
    SuspendDtsJobRequest r =
        new SuspendDtsJobRequest().setDtsJobId(jobId).setRegionId(options.regionId());
    if (dtsInstanceId != null) {
      r.setDtsInstanceId(dtsInstanceId);
    }
    var body = call("SuspendDtsJob", jobId, () -> client.suspendDtsJob(r).getBody());
    check(
        "SuspendDtsJob",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
  }

  /**
   * StopDtsJob: DtsJobId, DtsInstanceId. The page documents no RegionId, so none is sent.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-stopdtsjob
   */
  void stop(String jobId, String dtsInstanceId) {
    StopDtsJobRequest r = new StopDtsJobRequest().setDtsJobId(jobId);
    if (dtsInstanceId != null) {
      r.setDtsInstanceId(dtsInstanceId);
    }
    var body = call("StopDtsJob", jobId, () -> client.stopDtsJob(r).getBody());
    check(
        "StopDtsJob",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
  }

  /**
   * DeleteDtsJob: DtsJobId, DtsInstanceId, RegionId, JobType. Releases a pay-as-you-go instance;
   * the page notes a subscription instance cannot be released this way.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-deletedtsjob
   */
  void delete(String jobId, String dtsInstanceId, String jobType) {
    DeleteDtsJobRequest r =
        new DeleteDtsJobRequest().setDtsJobId(jobId).setRegionId(options.regionId());
    if (dtsInstanceId != null) {
      r.setDtsInstanceId(dtsInstanceId);
    }
    if (jobType != null) {
      r.setJobType(jobType);
    }
    var body = call("DeleteDtsJob", jobId, () -> client.deleteDtsJob(r).getBody());
    check(
        "DeleteDtsJob",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
  }

  /**
   * ModifyDtsJobName: DtsJobId, DtsJobName, RegionId.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-modifydtsjobname
   */
  void rename(String jobId, String name) {
    ModifyDtsJobNameRequest r =
        new ModifyDtsJobNameRequest()
            .setDtsJobId(jobId)
            .setDtsJobName(name)
            .setRegionId(options.regionId());
    var body = call("ModifyDtsJobName", jobId, () -> client.modifyDtsJobName(r).getBody());
    check(
        "ModifyDtsJobName",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
  }

  /** The result of CreateReverseDtsJob: the reverse job and the DTS instance it runs in. */
  record CreatedReverse(String dtsJobId, String dtsInstanceId) {}

  /**
   * CreateReverseDtsJob: DtsJobId (the only documented request parameter). Not in SDK 2.0.0, so it
   * goes through the SDK's generic callApi with the RPC style every DTS action uses.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-createreversedtsjob
   */
  CreatedReverse createReverse(String forwardJobId) {
    Map<String, Object> body = generic("CreateReverseDtsJob", forwardJobId);
    Object id = body.get("DtsJobId");
    if (id == null || id.toString().isBlank()) {
      throw new DtsApiException(
          "CreateReverseDtsJob",
          forwardJobId,
          "NoReverseJobId",
          null,
          "the response carries no DtsJobId for the reverse job",
          DtsApiException.Kind.OTHER);
    }
    Object instance = body.get("DtsInstanceId");
    return new CreatedReverse(id.toString(), instance == null ? null : instance.toString());
  }

  /**
   * StartReverseWriter: DtsJobId of the reverse job; CheckPoint left out so DTS uses the offset it
   * saved when the forward job was paused (the page's documented default).
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-startreversewriter
   */
  void startReverseWriter(String reverseJobId) {
    generic("StartReverseWriter", reverseJobId);
  }

  /**
   * DescribeDataCheckTableDetails: DtsJobId, CheckType (1 full, 2 incremental), PageNumber,
   * PageSize.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedatachecktabledetails
   */
  DescribeDataCheckTableDetailsResponseBody dataCheckTables(
      String jobId, int checkType, int pageNumber, int pageSize) {
    DescribeDataCheckTableDetailsRequest r =
        new DescribeDataCheckTableDetailsRequest()
            .setDtsJobId(jobId)
            .setCheckType(checkType)
            .setPageNumber(pageNumber)
            .setPageSize(pageSize);
    var body =
        call(
            "DescribeDataCheckTableDetails",
            jobId,
            () -> client.describeDataCheckTableDetails(r).getBody());
    check(
        "DescribeDataCheckTableDetails",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
    return body;
  }

  /**
   * DescribeDataCheckTableDiffDetails: DtsJobId, CheckType, DbName, TbName, PageNumber, PageSize.
   * https://www.alibabacloud.com/help/en/dts/developer-reference/api-describedatachecktablediffdetails
   */
  DescribeDataCheckTableDiffDetailsResponseBody dataCheckDiffs(
      String jobId, int checkType, String db, String table, long pageSize) {
    DescribeDataCheckTableDiffDetailsRequest r =
        new DescribeDataCheckTableDiffDetailsRequest()
            .setDtsJobId(jobId)
            .setCheckType(checkType)
            .setDbName(db)
            .setTbName(table)
            .setPageNumber(1L)
            .setPageSize(pageSize);
    var body =
        call(
            "DescribeDataCheckTableDiffDetails",
            jobId,
            () -> client.describeDataCheckTableDiffDetails(r).getBody());
    check(
        "DescribeDataCheckTableDiffDetails",
        jobId,
        body.getSuccess(),
        body.getErrCode(),
        body.getHttpStatusCode(),
        body.getErrMessage(),
        body.getDynamicMessage());
    return body;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> generic(String action, String jobId) {
    Map<String, String> query = new LinkedHashMap<>();
    query.put("DtsJobId", jobId);
    Params params =
        new Params()
            .setAction(action)
            .setVersion(VERSION)
            .setProtocol("HTTPS")
            .setPathname("/")
            .setMethod("POST")
            .setAuthType("AK")
            .setStyle("RPC")
            .setReqBodyType("formData")
            .setBodyType("json");
    OpenApiRequest request = new OpenApiRequest().setQuery(query);
    Map<String, ?> response =
        call(action, jobId, () -> client.callApi(params, request, new RuntimeOptions()));
    Object body = response.get("body");
    Map<String, Object> map = body instanceof Map ? (Map<String, Object>) body : Map.of();
    check(
        action,
        jobId,
        bool(map.get("Success")),
        str(map.get("ErrCode")),
        integer(map.get("HttpStatusCode")),
        str(map.get("ErrMessage")),
        str(map.get("DynamicMessage")));
    return map;
  }

  /** A call through the SDK, with its exceptions turned into a classified DtsApiException. */
  interface SdkCall<T> {
    T run() throws Exception;
  }

  private <T> T call(String action, String jobId, SdkCall<T> c) {
    try {
      return c.run();
    } catch (TeaUnretryableException e) {
      // The SDK's name for "gave up after its own attempts": a network failure, so transient here.
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new DtsApiException(
          action,
          jobId,
          "Unreachable",
          null,
          "cannot reach the DTS endpoint "
              + options.protocol()
              + "://"
              + options.endpoint()
              + ": "
              + cause,
          DtsApiException.Kind.TRANSIENT);
    } catch (TeaException e) {
      Map<String, Object> data = e.getData() == null ? Map.of() : e.getData();
      // The gateway answers with Code/Message, DTS itself with ErrCode/ErrMessage/DynamicMessage.
      String code = e.getCode();
      if (code == null || code.isBlank() || "null".equals(code)) {
        code = str(data.get("ErrCode"));
      }
      String message = str(data.get("Message"));
      if (message == null) {
        message = expand(str(data.get("ErrMessage")), str(data.get("DynamicMessage")));
      }
      if (message == null) {
        message = e.getMessage();
      }
      Integer http = e.getStatusCode();
      throw new DtsApiException(
          action,
          jobId,
          code,
          http,
          message,
          DtsApiException.classify(code, http, str(data.get("DynamicMessage"))));
    } catch (DtsApiException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new DtsApiException(
          action, jobId, e.getClass().getSimpleName(), null, e.toString(), classifyLocal(e));
    } catch (Exception e) {
      throw new DtsApiException(
          action, jobId, e.getClass().getSimpleName(), null, e.toString(), classifyLocal(e));
    }
  }

  private static DtsApiException.Kind classifyLocal(Exception e) {
    // The credential chain found nothing usable: retrying cannot help until someone configures it.
    return e.getClass().getName().startsWith("com.aliyun.credentials")
        ? DtsApiException.Kind.PERMISSION
        : DtsApiException.Kind.OTHER;
  }

  /** DTS's own error report in a 2xx body: Success=false with ErrCode/ErrMessage. */
  private static void check(
      String action,
      String jobId,
      Boolean success,
      String errCode,
      Integer http,
      String errMessage,
      String dynamicMessage) {
    if (success == null || success) {
      return;
    }
    throw new DtsApiException(
        action,
        jobId,
        errCode,
        http,
        expand(errMessage, dynamicMessage),
        DtsApiException.classify(errCode, http, dynamicMessage));
  }

  private static String expand(String message, String dynamic) {
    if (message == null) {
      return dynamic;
    }
    return dynamic == null ? message : message.replace("%s", dynamic);
  }

  static String str(Object o) {
    return o == null ? null : o.toString();
  }

  static Boolean bool(Object o) {
    return o == null ? null : Boolean.valueOf(o.toString());
  }

  static Integer integer(Object o) {
    if (o == null) {
      return null;
    }
    try {
      return Integer.valueOf(o.toString());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : l;
  }
}
