package dev.switchback.activities.dts;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.TestSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * The DTS provider's read-only preflight: options, credentials, the forward job, the reverse path
 * and instance, the data verification a test reads. Nothing here calls an action that changes a
 * job.
 */
final class DtsPreflight {
  private final DtsClients clients;
  private final DtsDataCheck verification;

  DtsPreflight(DtsClients clients, DtsDataCheck verification) {
    this.clients = clients;
    this.verification = verification;
  }

  List<PreflightCheck> checks(MigrationContext ctx) {
    List<PreflightCheck> checks = new ArrayList<>();
    DtsOptions o;
    try {
      o = DtsOptions.of(ctx.plan());
    } catch (ApplicationFailure e) {
      checks.add(new PreflightCheck("dts options", false, e.getOriginalMessage()));
      return checks;
    }
    checks.add(
        new PreflightCheck(
            "dts options",
            true,
            "region " + o.regionId() + ", endpoint " + o.protocol() + "://" + o.endpoint()));
    DtsApi api;
    try {
      api = clients.api(o);
    } catch (ApplicationFailure e) {
      checks.add(new PreflightCheck("dts credentials", false, e.getOriginalMessage()));
      return checks;
    }
    try {
      DtsJobView v = DtsJobView.of(o.jobId(), api.describeJob(o.jobId(), o.dtsInstanceId()), false);
      boolean usable =
          ("RUNNING".equals(v.status()) && v.incremental())
              || ("COMPLETED".equals(v.status()) && !v.incremental());
      checks.add(
          new PreflightCheck(
              "dts forward instance",
              usable,
              "job "
                  + o.jobId()
                  + " is "
                  + v.rawStatus()
                  + (v.incremental() ? " with" : " without")
                  + " an incremental stage"
                  + (usable
                      ? ""
                      : "; the seed needs Running with the incremental stage, or Completed"
                          + " when there is none")));
      checks.add(
          new PreflightCheck(
              "dts reverse path",
              v.incremental() || o.reverseJobId() != null,
              v.incremental()
                  ? "CreateReverseDtsJob then StartReverseWriter from the checkpoint DTS saves at"
                      + " the pause"
                  : "the job has no incremental stage, so there is no pause checkpoint for a"
                      + " reverse writer: set migration.options.reverseJobId to a reverse job made"
                      + " by hand"));
    } catch (DtsApiException e) {
      checks.add(
          new PreflightCheck(
              "dts forward instance", false, e.toFailure(o.regionId()).getOriginalMessage()));
      return checks;
    }
    checks.add(reverseInstanceCheck(api, o));
    if (hasDataCheckTest(ctx.plan())) {
      try {
        List<Integer> types = verification.configuredChecks(ctx);
        checks.add(
            new PreflightCheck(
                "dts data verification",
                !types.isEmpty(),
                types.isEmpty()
                    ? "the plan has a dts-data-check test but job "
                        + o.jobId()
                        + " has no data verification configured (MigrationMode.FullDataCheck and"
                        + " IncDataCheck are false): configure it on the job in DTS, or remove"
                        + " the test"
                    : "configured on job "
                        + o.jobId()
                        + ": "
                        + String.join(
                            " and ",
                            types.stream()
                                .map(t -> t == DtsDataCheck.FULL ? "full" : "incremental")
                                .toList())
                        + " data verification; read by the dts-data-check test after the"
                        + " switch"));
      } catch (ApplicationFailure e) {
        checks.add(new PreflightCheck("dts data verification", false, e.getOriginalMessage()));
      }
    }
    checks.add(
        new PreflightCheck(
            "dts write permissions",
            true,
            "SuspendDtsJob, CreateReverseDtsJob, StartReverseWriter, ModifyDtsJobName, StopDtsJob"
                + " and DeleteDtsJob cannot be tried without side effects; docs/dts.md lists the"
                + " RAM actions to grant"));
    return checks;
  }

  private PreflightCheck reverseInstanceCheck(DtsApi api, DtsOptions o) {
    if (o.reverseJobId() != null) {
      // The activity layer checks that this job exists and is not writing yet.
      return new PreflightCheck(
          "dts reverse instance",
          true,
          "job "
              + o.reverseJobId()
              + " (migration.options.reverseJobId) is adopted as the reverse instance: none is"
              + " created, and its writer is started after the pause");
    }
    try {
      String existing = DtsProvider.findByName(api, o);
      return new PreflightCheck(
          "dts reverse instance",
          true,
          existing == null
              ? "no job named " + o.reverseName() + " yet; it will be created after the pause"
              : "job "
                  + existing
                  + " already carries the name "
                  + o.reverseName()
                  + " and will be used as the reverse instance");
    } catch (ApplicationFailure e) {
      return new PreflightCheck("dts reverse instance", false, e.getOriginalMessage());
    } catch (DtsApiException e) {
      return new PreflightCheck(
          "dts reverse instance", false, e.toFailure(o.regionId()).getOriginalMessage());
    }
  }

  private static boolean hasDataCheckTest(CutoverPlan plan) {
    return plan.tests() != null
        && plan.tests().stream().anyMatch(t -> TestSpec.DTS_DATA_CHECK.equals(t.type()));
  }
}
