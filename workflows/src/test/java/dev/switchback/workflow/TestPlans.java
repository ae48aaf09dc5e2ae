package dev.switchback.workflow;

import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.ValidationSpec;
import java.util.List;

/** Plans for workflow tests (the worker's metrics test uses them too). */
public final class TestPlans {
  private TestPlans() {}

  /** A plan whose approvers alice and bob approve by name (a lab: approvals: unsigned). */
  public static CutoverPlan plan(GatesSpec gates, String soak) {
    return plan(gates, soak, ApproverSpec.names("alice", "bob"), CutoverPlan.UNSIGNED);
  }

  /** A plan whose approvers sign with the given keys (approvals: signed, the default). */
  static CutoverPlan signed(GatesSpec gates, String soak, List<ApproverSpec> approvers) {
    return plan(gates, soak, approvers, null);
  }

  static CutoverPlan plan(
      GatesSpec gates, String soak, List<ApproverSpec> approvers, String approvals) {
    return new CutoverPlan(
        "orders",
        new MigrationSpec("postgres", "sb_fwd", null, null),
        new EndpointSpec(
            "postgres",
            "jdbc:postgresql://127.0.0.1:5433/app",
            "postgres",
            "env:SRC_PW",
            List.of("app"),
            null),
        new EndpointSpec(
            "postgres",
            "jdbc:postgresql://127.0.0.1:5434/app",
            "postgres",
            "env:DST_PW",
            List.of("app"),
            null),
        new MigrationAccountSpec("migrator", null, true),
        new RouterSpec("webhook", "http://127.0.0.1:8088/switchback", null, null, null),
        null,
        gates,
        approvers,
        approvals,
        List.of(
            new TestSpec(
                "orders readable",
                "sql",
                "select count(*) from orders",
                null,
                null,
                null,
                null,
                null)),
        new ValidationSpec(List.of("orders"), null, null),
        soak);
  }

  static CutoverPlan auto() {
    return plan(allAuto(), "10m");
  }

  public static GatesSpec allAuto() {
    GateSpec auto = new GateSpec("auto", null, null);
    return new GatesSpec(auto, auto, auto);
  }

  static GatesSpec approval(String gate, String timeout) {
    GateSpec auto = new GateSpec("auto", null, null);
    GateSpec approval = new GateSpec("approval", timeout, null);
    return new GatesSpec(
        gate.equals(GatesSpec.QUIESCE) ? approval : auto,
        gate.equals(GatesSpec.SWITCH) ? approval : auto,
        gate.equals(GatesSpec.FINALIZE) ? approval : auto);
  }
}
