package dev.switchback.activities.dts;

import com.aliyun.dts20200101.models.DescribeDataCheckTableDetailsResponseBody;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDetailsResponseBody.DescribeDataCheckTableDetailsResponseBodyTableDetails;
import com.aliyun.dts20200101.models.DescribeDataCheckTableDiffDetailsResponseBody.DescribeDataCheckTableDiffDetailsResponseBodyDiffDetails;
import com.aliyun.dts20200101.models.DescribeDtsJobsRequest;
import com.aliyun.dts20200101.models.DescribeDtsJobsResponseBody.DescribeDtsJobsResponseBodyDtsJobList;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.messages.values.ValidationReport;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The data validation DTS itself runs on the forward job (full and/or incremental data
 * verification, configured on the job), read as a post-switch test: DescribeDtsJobs tells which
 * checks the job has (MigrationMode.FullDataCheck / IncDataCheck), DescribeDataCheckTableDetails
 * gives each table's result, DescribeDataCheckTableDiffDetails a few differing rows as examples.
 *
 * <p>DTS counts the rows it checked (TotalCount) and the inconsistent ones (DiffCount), not rows
 * per side nor missing apart from changed: a TableComparison here carries sourceRows = rows
 * checked, destinationRows = -1 (not reported by DTS), and every inconsistent row as changed.
 */
public final class DtsDataCheck {
  /** CheckType in DescribeDataCheckTableDetails: 1 full data verification, 2 incremental. */
  public static final int FULL = 1;

  public static final int INCREMENTAL = 2;

  private static final int PAGE = 50;
  private static final int MAX_PAGES = 200;
  private static final int EXAMPLES = 5;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final DtsClients clients;
  private final Clock clock;

  public DtsDataCheck(DtsClients clients, Clock clock) {
    this.clients = clients;
    this.clock = clock;
  }

  /** The check types configured on the forward job (empty: DTS validates nothing there). */
  public List<Integer> configuredChecks(MigrationContext ctx) {
    DtsOptions o = DtsOptions.of(ctx.plan());
    try {
      return configured(clients.api(o), o);
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  /**
   * The DTS data check results as a validation report. Passes when every table of a full check
   * finished with no inconsistent row and no table of an incremental check failed or found one.
   *
   * @param tables restrict to these tables ({@code db.table} or {@code table}); empty: all
   */
  public ValidationReport report(MigrationContext ctx, List<String> tables) {
    long start = clock.millis();
    DtsOptions o = DtsOptions.of(ctx.plan());
    DtsApi api = clients.api(o);
    try {
      List<Integer> types = configured(api, o);
      if (types.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the DTS job "
                + o.jobId()
                + " has no data verification configured (MigrationMode.FullDataCheck and"
                + " IncDataCheck are false): configure data verification on the job in DTS, or"
                + " use Switchback's own validation instead of the DTS data check",
            FailureTypes.INVALID_PLAN);
      }
      List<TableComparison> out = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      int checked = 0;
      for (int type : types) {
        for (DescribeDataCheckTableDetailsResponseBodyTableDetails t : tables(api, o, type)) {
          String name = t.getSourceDbName() + "." + t.getSourceTbName();
          if (!wanted(tables, t.getSourceDbName(), t.getSourceTbName())) {
            continue;
          }
          checked++;
          long diff = t.getDiffCount() == null ? 0 : t.getDiffCount();
          String status = t.getStatus() == null ? "" : t.getStatus();
          String label = (type == FULL ? "full" : "incremental") + " check of " + name;
          // Status per the page: 0 finished, 2 initializing, 3 running, 5 failed.
          if ("5".equals(status)) {
            problems.add(label + " failed (ErrorCode " + t.getErrorCode() + ")");
          } else if (type == FULL && !"0".equals(status)) {
            problems.add(label + " has not finished (status " + status + ")");
          }
          List<String> examples = diff > 0 ? examples(api, o, type, t) : List.of();
          if (diff > 0) {
            problems.add(label + ": " + diff + " inconsistent rows");
          }
          out.add(
              new TableComparison(
                  type == FULL ? name : name + " (incremental)",
                  t.getTotalCount() == null ? 0 : t.getTotalCount(),
                  -1,
                  0,
                  0,
                  diff,
                  examples));
        }
      }
      boolean passed = problems.isEmpty() && checked > 0;
      String detail =
          passed
              ? "DTS data verification of job " + o.jobId() + ": " + checked + " tables consistent"
              : checked == 0
                  ? "DTS data verification of job "
                      + o.jobId()
                      + " has no result for the tables asked "
                      + tables
                  : String.join("; ", problems);
      return new ValidationReport(passed, out, clock.millis() - start, detail);
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  private static List<Integer> configured(DtsApi api, DtsOptions o) {
    DescribeDtsJobsRequest r =
        new DescribeDtsJobsRequest().setDtsJobId(o.jobId()).setPageSize(30).setPageNumber(1);
    List<Integer> types = new ArrayList<>();
    for (DescribeDtsJobsResponseBodyDtsJobList j :
        DtsApi.list(api.describeJobs(r).getDtsJobList())) {
      if (!o.jobId().equals(j.getDtsJobId()) || j.getMigrationMode() == null) {
        continue;
      }
      if (Boolean.TRUE.equals(j.getMigrationMode().getFullDataCheck())) {
        types.add(FULL);
      }
      if (Boolean.TRUE.equals(j.getMigrationMode().getIncDataCheck())) {
        types.add(INCREMENTAL);
      }
    }
    return types;
  }

  private static List<DescribeDataCheckTableDetailsResponseBodyTableDetails> tables(
      DtsApi api, DtsOptions o, int type) {
    List<DescribeDataCheckTableDetailsResponseBodyTableDetails> all = new ArrayList<>();
    for (int page = 1; page <= MAX_PAGES; page++) {
      DescribeDataCheckTableDetailsResponseBody body =
          api.dataCheckTables(o.jobId(), type, page, PAGE);
      List<DescribeDataCheckTableDetailsResponseBodyTableDetails> got =
          DtsApi.list(body.getTableDetails());
      all.addAll(got);
      long total = body.getTotalCount() == null ? all.size() : body.getTotalCount();
      if (got.isEmpty() || all.size() >= total) {
        break;
      }
    }
    return all;
  }

  private static List<String> examples(
      DtsApi api, DtsOptions o, int type, DescribeDataCheckTableDetailsResponseBodyTableDetails t) {
    List<String> out = new ArrayList<>();
    for (DescribeDataCheckTableDiffDetailsResponseBodyDiffDetails d :
        DtsApi.list(
            api.dataCheckDiffs(o.jobId(), type, t.getSourceDbName(), t.getSourceTbName(), EXAMPLES)
                .getDiffDetails())) {
      out.add(key(d.getDiff()));
    }
    return out;
  }

  /**
   * The primary key of one difference. Diff is a JSON array of {column, source, dest, isPrimary}
   * (the page's example); when it cannot be read it is shown as DTS gave it.
   */
  static String key(String diff) {
    if (diff == null) {
      return "(no detail)";
    }
    try {
      JsonNode n = JSON.readTree(diff);
      List<String> pk = new ArrayList<>();
      for (JsonNode c : n) {
        if (c.path("isPrimary").asBoolean(false)) {
          pk.add(c.path("column").asText() + "=" + c.path("source").asText());
        }
      }
      return pk.isEmpty() ? diff : String.join(",", pk);
    } catch (Exception e) {
      return diff;
    }
  }

  private static boolean wanted(List<String> tables, String db, String table) {
    if (tables == null || tables.isEmpty()) {
      return true;
    }
    String full = (db + "." + table).toLowerCase(Locale.ROOT);
    for (String w : tables) {
      String x = w.toLowerCase(Locale.ROOT);
      if (x.equals(full) || x.equals(table.toLowerCase(Locale.ROOT))) {
        return true;
      }
    }
    return false;
  }
}
