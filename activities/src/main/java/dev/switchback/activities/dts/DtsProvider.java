package dev.switchback.activities.dts;

import com.aliyun.dts20200101.models.DescribeDtsJobsRequest;
import com.aliyun.dts20200101.models.DescribeDtsJobsResponseBody.DescribeDtsJobsResponseBodyDtsJobList;
import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.ValidationReport;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Alibaba Cloud DTS as the migration instance ({@code migration.provider: dts}): the forward
 * instance is a DTS job (migration.instance = DtsJobId), the reverse instance is the job
 * CreateReverseDtsJob makes from it. Every call goes through the official SDK; see {@link DtsApi}
 * for the actions and the pages they follow, and docs/dts.md for the RAM permissions.
 *
 * <p>DTS exposes no exact position, so {@link #writerPosition} is null and the activity layer
 * proves the drain with the seed's rule: latency 0 after the pause request, then a stability window
 * with latency within the tolerance. {@link DtsJobView} explains the latency unit.
 */
public final class DtsProvider implements MigrationProvider {
  /** Seed: "An instance that has been paused for more than seven days cannot be resumed." */
  public static final Duration RESUME_LIMIT = Duration.ofDays(7);

  private static final Logger log = LoggerFactory.getLogger(DtsProvider.class);
  private final DtsClients clients;
  private final Clock clock;
  private final DtsDataCheck verification;
  private final DtsPreflight preflight;
  private final Map<String, Instant> pausedAt = new ConcurrentHashMap<>();
  private final Map<String, String> reverseByCutover = new ConcurrentHashMap<>();
  private final Set<String> writersStarted = ConcurrentHashMap.newKeySet();

  public DtsProvider() {
    this(DtsClients.fromCredentialChain(), Clock.systemUTC());
  }

  public DtsProvider(DtsClients clients, Clock clock) {
    this.clients = clients;
    this.clock = clock;
    this.verification = new DtsDataCheck(clients, clock);
    this.preflight = new DtsPreflight(clients, verification);
  }

  @Override
  public String name() {
    return "dts";
  }

  @Override
  public InstanceState describe(MigrationContext ctx, Direction direction) {
    DtsOptions o = DtsOptions.of(ctx.plan());
    DtsApi api = clients.api(o);
    try {
      if (direction == Direction.FORWARD) {
        return state(api, o.jobId(), o.dtsInstanceId(), false);
      }
      String reverse = findReverse(ctx, api, o, null);
      if (reverse == null) {
        return new InstanceState(
            o.reverseName(),
            "NOT_FOUND",
            false,
            null,
            null,
            null,
            "no reverse DTS job for "
                + o.jobId()
                + " yet (it will be named "
                + o.reverseName()
                + ")");
      }
      InstanceState s = state(api, reverse, null, true);
      if (reverse.equals(o.reverseJobId())) {
        s = adopted(s);
      }
      return s;
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  /** The plan's migration.options.reverseJobId: a reverse job made by hand, adopted. */
  @Override
  public String adoptedReverseInstance(MigrationContext ctx) {
    return DtsOptions.of(ctx.plan()).reverseJobId();
  }

  private static InstanceState adopted(InstanceState s) {
    return new InstanceState(
        s.instance(),
        s.status(),
        s.incremental(),
        s.latencyMs(),
        s.lagBytes(),
        s.position(),
        s.detail() + "; the reverse job given by migration.options.reverseJobId");
  }

  /** DTS has no exact position: the activity layer applies the seed's stability window. */
  @Override
  public String writerPosition(MigrationContext ctx, Direction direction) {
    return null;
  }

  /** Never proves a drain by position (writerPosition is null); the stability window does. */
  @Override
  public boolean drained(MigrationContext ctx, Direction direction, String target) {
    return false;
  }

  @Override
  public void pause(MigrationContext ctx, Direction direction) {
    DtsOptions o = DtsOptions.of(ctx.plan());
    DtsApi api = clients.api(o);
    try {
      String job = direction == Direction.FORWARD ? o.jobId() : findReverse(ctx, api, o, null);
      if (job == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            "cannot pause the reverse DTS job of " + o.jobId() + ": it does not exist",
            FailureTypes.INSTANCE_STATE);
      }
      DtsJobView v =
          DtsJobView.of(
              job,
              api.describeJob(job, direction == Direction.FORWARD ? o.dtsInstanceId() : null),
              direction == Direction.REVERSE);
      switch (v.status()) {
        case "PAUSED" -> {
          log.info("DTS job {} is already paused ({})", job, v.rawStatus());
          return;
        }
        case "COMPLETED" -> {
          // Seed: a migration without an incremental stage finishes by itself; nothing to pause.
          log.info("DTS job {} is {}: nothing to pause", job, v.rawStatus());
          return;
        }
        case "FAILED" ->
            throw ApplicationFailure.newNonRetryableFailure(
                "DTS job " + job + " is " + v.rawStatus() + " and cannot be paused: " + v.error(),
                FailureTypes.INSTANCE_STATE);
        default -> {}
      }
      api.suspend(job, v.dtsInstanceId());
      pausedAt.putIfAbsent(job, clock.instant());
      log.info("requested SuspendDtsJob for {} ({} until now)", job, v.rawStatus());
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  /**
   * Advances the reverse instance as far as DTS lets it right now, and is meant to be called again
   * on every poll until {@code describe(REVERSE)} is RUNNING: CreateReverseDtsJob when there is no
   * reverse job, then, once DTS has prechecked it and holds it paused, StartReverseWriter. Both
   * steps are guarded, so a retried or repeated call creates nothing twice (see {@link
   * #findReverse}).
   */
  @Override
  public void createReverseIncremental(MigrationContext ctx) {
    DtsOptions o = DtsOptions.of(ctx.plan());
    DtsApi api = clients.api(o);
    try {
      DtsJobView forward =
          DtsJobView.of(o.jobId(), api.describeJob(o.jobId(), o.dtsInstanceId()), false);
      String reverse = findReverse(ctx, api, o, forward);
      if (reverse == null) {
        if (o.reverseJobId() == null
            && !"PAUSED".equals(forward.status())
            && !"COMPLETED".equals(forward.status())) {
          // Seed order: pause the forward instance, then create the reverse one. The reverse
          // writer's default checkpoint is the offset DTS saved when the forward job was paused.
          throw ApplicationFailure.newNonRetryableFailure(
              "the forward DTS job "
                  + o.jobId()
                  + " is "
                  + forward.rawStatus()
                  + ": the reverse instance is created only after it is paused",
              FailureTypes.INSTANCE_STATE);
        }
        DtsApi.CreatedReverse created = api.createReverse(o.jobId());
        reverse = created.dtsJobId();
        reverseByCutover.put(ctx.cutoverId(), reverse);
        log.info(
            "CreateReverseDtsJob for {} made reverse job {} in instance {}",
            o.jobId(),
            reverse,
            created.dtsInstanceId());
        // The name is the durable record of which job is this cutover's reverse instance: a retry
        // on another worker finds it with DescribeDtsJobs (Type=name) instead of creating another.
        api.rename(reverse, o.reverseName());
      }
      DtsJobView rv = DtsJobView.of(reverse, api.describeJob(reverse, null), true);
      switch (rv.status()) {
        case "PAUSED" -> {
          // CreateReverseDtsJob leaves the writer stopped and the job paused after its precheck;
          // StartReverseWriter requires exactly that state.
          if (!writersStarted.contains(reverse)) {
            api.startReverseWriter(reverse);
            writersStarted.add(reverse);
            log.info("StartReverseWriter for reverse job {} (default checkpoint)", reverse);
          }
        }
        case "FAILED" ->
            throw ApplicationFailure.newNonRetryableFailure(
                "the reverse DTS job " + reverse + " is " + rv.rawStatus() + ": " + rv.error(),
                FailureTypes.INSTANCE_STATE);
        default -> log.debug("reverse job {} is {}", reverse, rv.rawStatus());
      }
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  /**
   * Ends the job (StopDtsJob) and releases it (DeleteDtsJob) when it is pay-as-you-go. DeleteDtsJob
   * cannot release a subscription instance; that is reported (in the log and in describe's detail)
   * and does not fail the finalize: the operator disables auto-renewal or releases it in the
   * console.
   */
  @Override
  public void terminate(MigrationContext ctx, Direction direction) {
    DtsOptions o = DtsOptions.of(ctx.plan());
    DtsApi api = clients.api(o);
    try {
      String job = direction == Direction.FORWARD ? o.jobId() : findReverse(ctx, api, o, null);
      if (job == null) {
        return;
      }
      DtsJobView v;
      try {
        v =
            DtsJobView.of(
                job,
                api.describeJob(job, direction == Direction.FORWARD ? o.dtsInstanceId() : null),
                direction == Direction.REVERSE);
      } catch (DtsApiException e) {
        if (e.kind() == DtsApiException.Kind.NOT_FOUND) {
          return;
        }
        throw e;
      }
      if (!"COMPLETED".equals(v.status())) {
        api.stop(job, v.dtsInstanceId());
      }
      if ("PrePaid".equalsIgnoreCase(v.payType())) {
        log.warn(
            "DTS job {} runs in a subscription (PrePaid) instance {}, which the API cannot release;"
                + " it was stopped. Disable auto-renewal or release it in the DTS console{}",
            job,
            v.dtsInstanceId(),
            v.expireTime() == null ? "" : " (it expires " + v.expireTime() + ")");
        return;
      }
      api.delete(job, v.dtsInstanceId(), "UNKNOWN".equals(v.jobType()) ? null : v.jobType());
      reverseByCutover.remove(ctx.cutoverId(), job);
    } catch (DtsApiException e) {
      throw e.toFailure(o.regionId());
    }
  }

  /**
   * DTS connects source and destination itself, over the network DTS is given; how those links are
   * encrypted is set in the DTS task, not here.
   */
  @Override
  public List<Transport> links(MigrationContext ctx) {
    return List.of();
  }

  @Override
  public List<PreflightCheck> preflight(MigrationContext ctx) {
    return preflight.checks(ctx);
  }

  /** DTS's own data verification of the forward job, as a validation report. */
  @Override
  public ValidationReport dataCheck(MigrationContext ctx, List<String> tables) {
    return verification.report(ctx, tables);
  }

  private InstanceState state(DtsApi api, String job, String dtsInstanceId, boolean reverse) {
    DtsJobView v;
    try {
      v = DtsJobView.of(job, api.describeJob(job, dtsInstanceId), reverse);
    } catch (DtsApiException e) {
      if (e.kind() == DtsApiException.Kind.NOT_FOUND) {
        return new InstanceState(
            job,
            "NOT_FOUND",
            false,
            null,
            null,
            null,
            "DTS has no job " + job + " in " + api.options().regionId() + ": " + e.getMessage());
      }
      throw e;
    }
    StringBuilder d = new StringBuilder();
    d.append("DTS ").append(v.rawStatus());
    if (v.name() != null) {
      d.append(", job ").append(v.name());
    }
    d.append(", ").append(v.jobType().toLowerCase(java.util.Locale.ROOT)).append(" task");
    d.append(v.incremental() ? ", with" : ", without").append(" an incremental stage");
    if (v.delay() != null) {
      d.append(", Delay ").append(v.delay()).append(' ').append(v.delayUnit());
    }
    if ("PAUSED".equals(v.status()) && !reverse) {
      d.append("; ").append(resumeDeadline(v));
    }
    if ("PrePaid".equalsIgnoreCase(v.payType())) {
      d.append("; subscription instance")
          .append(v.expireTime() == null ? "" : " expiring " + v.expireTime())
          .append(": the API cannot release it, disable auto-renewal or release it in the console");
    }
    if (v.error() != null) {
      d.append("; error: ").append(v.error());
    }
    return new InstanceState(
        v.jobId(), v.status(), v.incremental(), v.latencyMs(), null, null, d.toString());
  }

  /**
   * The seed's seven-day rule, from the best pause time known: the time Switchback requested the
   * pause (this worker's record), else DTS's Checkpoint, which for a job paused at latency 0 is at
   * or before the pause, so the deadline derived from it is never later than the real one.
   */
  private String resumeDeadline(DtsJobView v) {
    Instant at = pausedAt.get(v.jobId());
    String source = "requested by Switchback";
    if (at == null) {
      at = v.checkpointTime();
      source = "estimated from the DTS checkpoint";
    }
    if (at == null) {
      return "pause time unknown; a paused instance cannot be resumed after 7 days, and Switchback"
          + " never resumes it";
    }
    return "paused at "
        + at
        + " ("
        + source
        + "); cannot be resumed after "
        + at.plus(RESUME_LIMIT)
        + " (seed: 7 days), and Switchback never resumes it";
  }

  /**
   * This cutover's reverse job, or null if none exists yet. In order: the plan's reverseJobId; what
   * this worker created; a job named migration.reverseInstance (the name Switchback gives the job
   * right after creating it, so any worker finds it); and, when {@code forward} is given (before a
   * create), the forward job's ReverseJob in DescribeDtsJobs, which covers a create whose response
   * was lost before the job could be named.
   */
  String findReverse(MigrationContext ctx, DtsApi api, DtsOptions o, DtsJobView forward) {
    if (o.reverseJobId() != null) {
      return o.reverseJobId();
    }
    String known = reverseByCutover.get(ctx.cutoverId());
    if (known != null) {
      return known;
    }
    String named = findByName(api, o);
    if (named != null) {
      reverseByCutover.put(ctx.cutoverId(), named);
      return named;
    }
    if (forward == null) {
      return null;
    }
    DescribeDtsJobsRequest r =
        new DescribeDtsJobsRequest().setDtsJobId(o.jobId()).setPageSize(30).setPageNumber(1);
    if (!"UNKNOWN".equals(forward.jobType())) {
      r.setJobType(forward.jobType());
    }
    for (DescribeDtsJobsResponseBodyDtsJobList j :
        DtsApi.list(api.describeJobs(r).getDtsJobList())) {
      if (o.jobId().equals(j.getDtsJobId())
          && j.getReverseJob() != null
          && j.getReverseJob().getDtsJobId() != null
          && !j.getReverseJob().getDtsJobId().isBlank()) {
        String adopted = j.getReverseJob().getDtsJobId();
        log.warn(
            "adopting reverse job {} of {} found through DescribeDtsJobs (its creation was not"
                + " recorded); naming it {}",
            adopted,
            o.jobId(),
            o.reverseName());
        api.rename(adopted, o.reverseName());
        reverseByCutover.put(ctx.cutoverId(), adopted);
        return adopted;
      }
    }
    return null;
  }

  static String findByName(DtsApi api, DtsOptions o) {
    // Type=name matches fuzzily, so the exact name is checked here.
    DescribeDtsJobsRequest r =
        new DescribeDtsJobsRequest()
            .setJobType("SYNC")
            .setType("name")
            .setParams(o.reverseName())
            .setPageSize(30)
            .setPageNumber(1);
    List<String> ids = new ArrayList<>();
    for (DescribeDtsJobsResponseBodyDtsJobList j :
        DtsApi.list(api.describeJobs(r).getDtsJobList())) {
      if (o.reverseName().equals(j.getDtsJobName()) && j.getDtsJobId() != null) {
        ids.add(j.getDtsJobId());
      }
    }
    if (ids.size() > 1) {
      throw ApplicationFailure.newNonRetryableFailure(
          "several DTS jobs are named "
              + o.reverseName()
              + " "
              + ids
              + ": set migration.options.reverseJobId to the one that is this cutover's reverse"
              + " instance, or rename the others",
          FailureTypes.INSTANCE_STATE);
    }
    return ids.isEmpty() ? null : ids.get(0);
  }
}
