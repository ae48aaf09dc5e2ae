package dev.switchback.activities.dts;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A local stand-in for the DTS OpenAPI that keeps the state of one migration task and the reverse
 * task made from it, and answers every call with the recorded responses of src/test/resources/dts
 * patched to that state. It follows what the API pages say:
 *
 * <ul>
 *   <li>The forward task is Migrating with an incremental stage. Its Delay (milliseconds, a
 *       migration task) is 1200 while its source takes writes and drains to 0, fluctuating within a
 *       few hundred milliseconds (the seed's "within 2 seconds"), once the source is read-only;
 *       with a {@link #drainLag drain lag}, the first answers after that still show 1200, as DTS's
 *       Delay trails the last transactions it still carries.
 *   <li>SuspendDtsJob pauses it asynchronously: one more DescribeDtsJobDetail still says Migrating,
 *       then Suspending (paused). StartDtsJob would resume it.
 *   <li>CreateReverseDtsJob makes a synchronization task that is Prechecking, then paused with its
 *       Incremental Write module not started; StartReverseWriter (allowed only while paused) starts
 *       it: Synchronizing, Delay in seconds, 2 while the destination takes writes and 0 or 1 once
 *       it is read-only. DTS writes as an ordinary database client, so a reverse writer that finds
 *       the old source read-only fails.
 *   <li>StopDtsJob finishes a task, DeleteDtsJob releases it; afterwards DTS answers
 *       InvalidParameter DtsJobId for it.
 *   <li>When a test configures {@link #fullDataCheck full data verification} on the forward task,
 *       DescribeDtsJobs shows MigrationMode.FullDataCheck, DescribeDataCheckTableDetails (CheckType
 *       1) lists the tables as finished with the given inconsistent-row counts, and
 *       DescribeDataCheckTableDiffDetails gives one Diff per inconsistent row.
 * </ul>
 *
 * Every request is logged as a {@link Call} with what the simulated DTS saw of the databases at
 * that moment, so a test can check order and preconditions; {@link DtsApiDocs} checks the requests
 * themselves.
 */
public final class SimulatedDts implements AutoCloseable {
  public static final String REGION = "cn-hangzhou";
  // DTS ids are unique: each simulated DTS numbers its tasks apart from the others', so a worker
  // that outlives one test (and remembers ids) never mistakes another test's task for its own.
  private static final AtomicInteger NEXT = new AtomicInteger(1000);

  /** One request as DTS received it, and the state around it. */
  public record Call(
      int seq,
      String action,
      Map<String, String> params,
      boolean sourceReadOnly,
      boolean destinationReadOnly,
      String forwardStatus,
      String reverseStatus,
      int httpStatus) {
    public String jobId() {
      return params.get("DtsJobId");
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FORWARD_NAME = "orders_mysql_to_mysql";

  private final BooleanSupplier sourceReadOnly;
  private final BooleanSupplier destinationReadOnly;
  private final WireMockServer server;
  private final List<Call> calls = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private final int number = NEXT.incrementAndGet();
  private final Job forward =
      new Job("n99m9jx822k" + number, "dtsn99m9jx822k" + number, "MIGRATION", FORWARD_NAME);
  private Job reverse;
  private int seq;
  // Answers after the writer side turned read-only that still show the latency of before.
  private int drainLag;
  // db.table -> {rows checked, inconsistent rows}; empty: no data verification on the job.
  private final Map<String, long[]> dataCheck = new java.util.LinkedHashMap<>();

  /**
   * @param sourceReadOnly whether the source database refuses ordinary clients' writes now (the
   *     forward task reads it, the reverse task writes it)
   * @param destinationReadOnly the same for the destination
   */
  public SimulatedDts(BooleanSupplier sourceReadOnly, BooleanSupplier destinationReadOnly) {
    this.sourceReadOnly = sourceReadOnly;
    this.destinationReadOnly = destinationReadOnly;
    forward.status = "Migrating";
    server =
        new WireMockServer(
            options().dynamicPort().bindAddress("127.0.0.1").extensions(new Answer()));
    server.start();
    server.stubFor(any(anyUrl()).willReturn(ResponseDefinitionBuilder.okForEmptyJson()));
  }

  /**
   * Configures full data verification on the forward task, finished with these results.
   *
   * @param db the database DTS checked
   * @param table the table
   * @param rows rows checked (TotalCount)
   * @param inconsistent inconsistent rows found (DiffCount)
   */
  public synchronized SimulatedDts fullDataCheck(
      String db, String table, long rows, long inconsistent) {
    dataCheck.put(db + "." + table, new long[] {rows, inconsistent});
    return this;
  }

  /**
   * Makes latency reach 0 only {@code answers} DescribeDtsJobDetail answers after the source (or,
   * for the reverse task, the destination) turned read-only, as a real task does: it still applies
   * what it read before the fence.
   */
  public synchronized SimulatedDts drainLag(int answers) {
    this.drainLag = answers;
    return this;
  }

  /**
   * A reverse task an operator made by hand before the cutover (for
   * migration.options.reverseJobId): prechecked and held paused with its writer not started, as
   * CreateReverseDtsJob leaves it.
   */
  public synchronized SimulatedDts reverseMadeByHand() {
    reverse = new Job(reverseJobId(), "dts" + reverseJobId(), "SYNC", "orders_reverse_by_hand");
    reverse.status = "Suspending";
    return this;
  }

  /** The value for migration.options.endpoint. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.port();
  }

  /** The forward task's DtsJobId (migration.instance). */
  public String forwardJobId() {
    return forward.id;
  }

  /** Its DtsInstanceId. */
  public String forwardInstanceId() {
    return forward.instanceId;
  }

  /** The DtsJobId CreateReverseDtsJob gives the reverse task. */
  public String reverseJobId() {
    return "r77q1ab900k" + number;
  }

  /** Every request so far, in the order DTS answered them. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Requests that broke a documented precondition (none is expected). */
  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /** The requests as WireMock logged them, for the signature and parameter checks. */
  public List<Request> requests() {
    List<Request> out = new ArrayList<>();
    for (ServeEvent e : server.getAllServeEvents()) {
      out.add(e.getRequest());
    }
    return out;
  }

  public synchronized String forwardStatus() {
    return forward.deleted ? "released" : forward.status;
  }

  public synchronized String reverseStatus() {
    return reverse == null ? null : reverse.deleted ? "released" : reverse.status;
  }

  @Override
  public void close() {
    server.stop();
  }

  // ---------------------------------------------------------------- the state machine

  private static final class Job {
    final String id;
    final String instanceId;
    final String type;
    String name;
    String status;
    String error;
    boolean deleted;
    // Answers still showing it running after SuspendDtsJob; -1 when no pause is pending.
    int pauseIn = -1;
    int quietPolls;

    Job(String id, String instanceId, String type, String name) {
      this.id = id;
      this.instanceId = instanceId;
      this.type = type;
      this.name = name;
    }
  }

  private record Reply(int status, String body) {}

  private final class Answer implements ResponseDefinitionTransformerV2 {
    @Override
    public String getName() {
      return "simulated-dts";
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
      Request r = event.getRequest();
      Reply reply;
      synchronized (SimulatedDts.this) {
        boolean srcRo = sourceReadOnly.getAsBoolean();
        boolean dstRo = destinationReadOnly.getAsBoolean();
        String action = DtsApiDocs.action(r);
        Map<String, String> params = DtsApiDocs.params(r);
        try {
          reply = answer(action, params, srcRo, dstRo);
        } catch (RuntimeException e) {
          violations.add(action + ": the simulator failed: " + e);
          reply = error(500, "InternalError", e.toString(), null);
        }
        calls.add(
            new Call(
                ++seq,
                action,
                Map.copyOf(params),
                srcRo,
                dstRo,
                forwardStatus(),
                reverseStatus(),
                reply.status()));
      }
      return ResponseDefinitionBuilder.responseDefinition()
          .withStatus(reply.status())
          .withHeader("Content-Type", "application/json;charset=utf-8")
          .withBody(reply.body())
          .build();
    }
  }

  private Reply answer(String action, Map<String, String> p, boolean srcRo, boolean dstRo) {
    if (action == null || !DtsApiDocs.DOCUMENTED.containsKey(action)) {
      violations.add("undocumented action " + action);
      // The OpenAPI gateway's answer to an action it does not know.
      return new Reply(
          404,
          "{\"RequestId\":\"SIM-404\",\"Code\":\"InvalidAction.NotFound\",\"Message\":\"Specified"
              + " api is not found, please check your url and method.\"}");
    }
    for (String name : p.keySet()) {
      if (!DtsApiDocs.DOCUMENTED.get(action).contains(name)) {
        violations.add(action + " with undocumented parameter " + name);
      }
    }
    String id = p.get("DtsJobId");
    return switch (action) {
      case "DescribeDtsJobDetail" -> describe(job(id), srcRo, dstRo);
      case "DescribeDtsJobs" -> list(p);
      case "SuspendDtsJob" -> suspend(job(id));
      case "StartDtsJob" -> resume(job(id));
      case "CreateReverseDtsJob" -> createReverse(job(id));
      case "ModifyDtsJobName" -> rename(job(id), p.get("DtsJobName"));
      case "StartReverseWriter" -> startWriter(job(id), srcRo);
      case "StopDtsJob" -> stop(job(id));
      case "DeleteDtsJob" -> delete(job(id));
      case "DescribeDataCheckTableDetails" -> checkTables(job(id), p);
      case "DescribeDataCheckTableDiffDetails" -> checkDiffs(job(id), p);
      default -> {
        violations.add(action + " is documented but not simulated");
        yield error(400, "UnsupportedOperation", "not simulated: " + action, null);
      }
    };
  }

  private Job job(String id) {
    if (forward.id.equals(id) && !forward.deleted) {
      return forward;
    }
    if (reverse != null && reverse.id.equals(id) && !reverse.deleted) {
      return reverse;
    }
    return null;
  }

  private Reply describe(Job j, boolean srcRo, boolean dstRo) {
    if (j == null) {
      return unknownJob();
    }
    advance(j, srcRo);
    ObjectNode body = detailTemplate(j);
    body.put("DtsJobId", j.id);
    body.put("DtsInstanceID", j.instanceId);
    body.put("DtsJobName", j.name);
    body.put("Status", j.status);
    if (body.has("DataSynchronizationStatus")) {
      ((ObjectNode) body.get("DataSynchronizationStatus"))
          .put("Status", j.status)
          .put("ErrorMessage", j.error == null ? "" : j.error);
    }
    if (j.error != null) {
      body.put("ErrorMessage", j.error);
    }
    Long delay = delay(j, j == forward ? srcRo : dstRo);
    if (delay != null) {
      body.put("Delay", delay);
    }
    return ok(body);
  }

  /** What DTS did since the last look: apply a requested pause, pass the reverse precheck. */
  private void advance(Job j, boolean srcRo) {
    if (j.pauseIn > 0) {
      j.pauseIn--; // DTS applies the pause asynchronously: this answer still shows it running
      return;
    }
    if (j.pauseIn == 0) {
      j.pauseIn = -1;
      j.status = "Suspending";
      return;
    }
    if (j == reverse && "Prechecking".equals(j.status)) {
      // CreateReverseDtsJob: after the precheck DTS collects incremental data and holds the task
      // paused with its Incremental Write module not started.
      j.status = "Suspending";
      return;
    }
    if (j == reverse && "Synchronizing".equals(j.status) && srcRo) {
      j.status = "Failed";
      j.error = readOnlyError();
    }
  }

  private Long delay(Job j, boolean quiet) {
    switch (j.status) {
      case "Migrating", "Synchronizing" -> {
        boolean migration = "MIGRATION".equals(j.type);
        if (!quiet) {
          j.quietPolls = 0;
          return migration ? 1200L : 2L;
        }
        if (j.quietPolls < drainLag) {
          j.quietPolls++;
          return migration ? 1200L : 2L;
        }
        // Latency 0 with the fluctuation the seed expects; never above its 2 s tolerance.
        return ((j.quietPolls++ - drainLag) % 4 == 3) ? (migration ? 400L : 1L) : 0L;
      }
      case "Suspending", "Finished" -> {
        return 0L;
      }
      default -> {
        return null;
      }
    }
  }

  private ObjectNode detailTemplate(Job j) {
    String file;
    if (j == forward) {
      file =
          "Migrating".equals(j.status)
              ? "DescribeDtsJobDetail.forward-migrating.json"
              : "DescribeDtsJobDetail.forward-suspending.json";
    } else {
      file =
          switch (j.status) {
            case "Prechecking" -> "DescribeDtsJobDetail.reverse-prechecking.json";
            case "Suspending" -> "DescribeDtsJobDetail.reverse-suspending.json";
            default -> "DescribeDtsJobDetail.reverse-synchronizing.json";
          };
    }
    return (ObjectNode) read(file);
  }

  private Reply list(Map<String, String> p) {
    ObjectNode body = (ObjectNode) read("DescribeDtsJobs.empty.json");
    ArrayNode list = body.putArray("DtsJobList");
    String type = p.get("Type");
    if (type != null && !"name".equals(type)) {
      violations.add("DescribeDtsJobs Type=" + type + " is not simulated");
      return ok(body);
    }
    for (Job j : new Job[] {forward, reverse}) {
      if (j == null || j.deleted) {
        continue;
      }
      if (p.containsKey("JobType") && !p.get("JobType").equals(j.type)) {
        continue;
      }
      if (p.containsKey("DtsJobId") && !p.get("DtsJobId").equals(j.id)) {
        continue;
      }
      // Type=name matches the name fuzzily (DescribeDtsJobs: "Fuzzy search is supported").
      if ("name".equals(type)
          && (j.name == null || !j.name.contains(p.getOrDefault("Params", "")))) {
        continue;
      }
      list.add(listEntry(j));
    }
    body.put("PageRecordCount", list.size());
    body.put("TotalRecordCount", list.size());
    return ok(body);
  }

  private ObjectNode listEntry(Job j) {
    ObjectNode e;
    if (j == forward) {
      e = (ObjectNode) read("DescribeDtsJobs.forward-with-reverse.json").get("DtsJobList").get(0);
      if (reverse == null || reverse.deleted) {
        e.remove("ReverseJob");
      } else {
        ((ObjectNode) e.get("ReverseJob"))
            .put("DtsJobId", reverse.id)
            .put("DtsInstanceID", reverse.instanceId)
            .put("DtsJobName", reverse.name)
            .put("Status", reverse.status);
      }
    } else {
      e = (ObjectNode) read("DescribeDtsJobs.reverse-named.json").get("DtsJobList").get(0);
    }
    e.put("DtsJobId", j.id);
    e.put("DtsInstanceID", j.instanceId);
    e.put("DtsJobName", j.name);
    e.put("Status", j.status);
    if (j == forward && !dataCheck.isEmpty()) {
      ((ObjectNode) e.get("MigrationMode")).put("FullDataCheck", true);
    }
    return e;
  }

  private Reply checkTables(Job j, Map<String, String> p) {
    if (j == null) {
      return unknownJob();
    }
    ObjectNode body = (ObjectNode) read("DescribeDataCheckTableDetails.full.json");
    ArrayNode tables = body.putArray("TableDetails");
    if (j == forward && "1".equals(p.get("CheckType"))) {
      ObjectNode template =
          (ObjectNode) read("DescribeDataCheckTableDetails.full.json").get("TableDetails").get(0);
      long id = 1;
      for (Map.Entry<String, long[]> t : dataCheck.entrySet()) {
        String[] name = t.getKey().split("\\.", 2);
        ObjectNode row = template.deepCopy();
        row.put("Id", id++);
        row.put("SourceDbName", name[0]).put("TargetDbName", name[0]);
        row.put("SourceTbName", name[1]).put("TargetTbName", name[1]);
        row.put("TotalCount", t.getValue()[0]).put("FinishCount", t.getValue()[0]);
        row.put("DiffCount", t.getValue()[1]);
        tables.add(row);
      }
    }
    body.put("TotalCount", tables.size());
    body.put("FinishedCount", tables.size());
    body.put("DiffTableCount", dataCheck.values().stream().filter(v -> v[1] > 0).count());
    return ok(body);
  }

  private Reply checkDiffs(Job j, Map<String, String> p) {
    if (j == null) {
      return unknownJob();
    }
    ObjectNode body = (ObjectNode) read("DescribeDataCheckTableDiffDetails.orders.json");
    long[] t = dataCheck.get(p.get("DbName") + "." + p.get("TbName"));
    long n = t == null ? 0 : t[1];
    body.put("DbName", p.get("DbName")).put("TbName", p.get("TbName")).put("DiffCount", n);
    ArrayNode diffs = body.putArray("DiffDetails");
    int page = Integer.parseInt(p.getOrDefault("PageSize", "20"));
    for (long k = 1; k <= Math.min(n, page); k++) {
      ObjectNode d = diffs.addObject();
      d.put("Id", k);
      d.put("GmtCreated", "2024-06-10T08:31:05.000+00:00");
      d.put(
          "Diff",
          "[{\"column\":\"id\",\"source\":\""
              + k
              + "\",\"dest\":\""
              + k
              + "\",\"isPrimary\":true}]");
    }
    return ok(body);
  }

  private Reply suspend(Job j) {
    if (j == null) {
      return unknownJob();
    }
    if (("Migrating".equals(j.status) || "Synchronizing".equals(j.status)) && j.pauseIn < 0) {
      j.pauseIn = 1;
    }
    return ok(read("SuspendDtsJob.json"));
  }

  private Reply resume(Job j) {
    if (j == null) {
      return unknownJob();
    }
    j.pauseIn = -1;
    if ("Suspending".equals(j.status)) {
      j.status = "MIGRATION".equals(j.type) ? "Migrating" : "Synchronizing";
    }
    ObjectNode body = (ObjectNode) read("SuspendDtsJob.json");
    body.put("RequestId", "SIM-START-" + j.id);
    return ok(body);
  }

  private Reply createReverse(Job j) {
    if (j == null) {
      return unknownJob();
    }
    if (reverse != null && !reverse.deleted) {
      violations.add("a second CreateReverseDtsJob for " + j.id + " (reverse " + reverse.id + ")");
    }
    ObjectNode body = (ObjectNode) read("CreateReverseDtsJob.json");
    body.put("DtsJobId", reverseJobId());
    body.put("DtsInstanceId", "dts" + reverseJobId());
    reverse = new Job(reverseJobId(), "dts" + reverseJobId(), "SYNC", FORWARD_NAME);
    reverse.status = "Prechecking";
    return ok(body);
  }

  private Reply rename(Job j, String name) {
    if (j == null) {
      return unknownJob();
    }
    j.name = name;
    return ok(read("ModifyDtsJobName.json"));
  }

  private Reply startWriter(Job j, boolean srcRo) {
    if (j == null || j != reverse) {
      return unknownJob();
    }
    if (!"Suspending".equals(j.status)) {
      // StartReverseWriter: "make sure that the task is not released and is in the Paused state".
      violations.add("StartReverseWriter while the reverse task is " + j.status);
      return error(
          403, "InvalidParameter", "The Value of Input Parameter %s is not valid.", "DtsJobId");
    }
    j.status = "Synchronizing";
    if (srcRo) {
      j.status = "Failed";
      j.error = readOnlyError();
    }
    return ok(read("StartReverseWriter.json"));
  }

  private Reply stop(Job j) {
    if (j == null) {
      return unknownJob();
    }
    j.status = "Finished";
    j.pauseIn = -1;
    return ok(read("StopDtsJob.json"));
  }

  private Reply delete(Job j) {
    if (j == null) {
      return unknownJob();
    }
    j.deleted = true;
    return ok(read("DeleteDtsJob.json"));
  }

  private static String readOnlyError() {
    return "DTS-31009: Write data to target failed. cause by [java.sql.SQLException:The MariaDB"
        + " server is running with the --read-only option so it cannot execute this statement]";
  }

  private static Reply unknownJob() {
    return new Reply(403, DtsApiDocs.recorded("DescribeDtsJobDetail.unknown-job.json"));
  }

  private static Reply error(int http, String code, String message, String dynamic) {
    ObjectNode body = JSON.createObjectNode();
    body.put("HttpStatusCode", http);
    body.put("RequestId", "SIM-ERROR");
    body.put("Success", false);
    body.put("ErrCode", code);
    body.put("ErrMessage", message);
    if (dynamic != null) {
      body.put("DynamicMessage", dynamic);
    }
    return new Reply(http, body.toString());
  }

  private static Reply ok(JsonNode body) {
    return new Reply(200, body.toString());
  }

  private static JsonNode read(String file) {
    try {
      return JSON.readTree(DtsApiDocs.recorded(file));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("recorded response " + file + " is not JSON", e);
    }
  }
}
