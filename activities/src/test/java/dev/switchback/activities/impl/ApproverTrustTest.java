package dev.switchback.activities.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.postgres.PostgresEngine;
import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.router.ManualRouter;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.support.ApproverTrust;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.approval.Ed25519;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.PreflightReport;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GateSpec;
import dev.switchback.plan.GatesSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed approvals prove who approved only if the key is the approver's: a plan's keys come from
 * whoever starts the cutover, so the worker's operator lists the keys it trusts, and the preflight
 * (before any side effect, so before any gate) refuses a plan whose approvers are not among them.
 */
class ApproverTrustTest {
  private static final String ALICE = Ed25519.encode(Ed25519.generate().getPublic());
  private static final String MALLORY = Ed25519.encode(Ed25519.generate().getPublic());

  @TempDir Path tmp;

  private static CutoverPlan plan(List<ApproverSpec> approvers, String approvals, GatesSpec gates) {
    CutoverPlan p = TestPlans.plan(null);
    return new CutoverPlan(
            p.name(),
            p.migration(),
            p.source(),
            p.destination(),
            p.migrationAccount(),
            p.router(),
            p.thresholds(),
            gates,
            approvers,
            approvals,
            p.tests(),
            p.validation(),
            p.soak())
        .withDefaults();
  }

  private static CutoverPlan signed(String name, String key) {
    return plan(List.of(new ApproverSpec(name, key)), CutoverPlan.SIGNED, null);
  }

  private Path trustFile(String... lines) throws Exception {
    return Files.write(tmp.resolve("trusted-approvers"), List.of(lines));
  }

  @Test
  void aPlanAuthorsOwnKeyIsRefused() throws Exception {
    ApproverTrust trust = ApproverTrust.of(trustFile("# who may approve", "alice " + ALICE));

    PreflightCheck rogueKey = trust.check(signed("alice", MALLORY));
    assertFalse(rogueKey.ok(), rogueKey.toString());
    assertTrue(
        rogueKey.detail().contains("approvers[0].publicKey: not the key this worker trusts for"),
        rogueKey.detail());

    PreflightCheck stranger = trust.check(signed("mallory", MALLORY));
    assertFalse(stranger.ok(), stranger.toString());
    assertTrue(
        stranger.detail().contains("'mallory' is not among the approvers this worker trusts"),
        stranger.detail());

    PreflightCheck unsigned =
        trust.check(plan(ApproverSpec.names("alice"), CutoverPlan.UNSIGNED, null));
    assertFalse(unsigned.ok(), unsigned.toString());
    assertTrue(unsigned.detail().contains("the plan says unsigned"), unsigned.detail());
  }

  @Test
  void theTrustedKeyPassesAndARemovedLineStopsItAtTheNextPreflight() throws Exception {
    Path file = trustFile("alice " + ALICE, "bob " + MALLORY);
    ApproverTrust trust = ApproverTrust.of(file);
    PreflightCheck ok = trust.check(signed("alice", ALICE));
    assertTrue(ok.ok(), ok.toString());
    assertFalse(ok.warning());

    Files.write(file, List.of("bob " + MALLORY));
    assertFalse(trust.check(signed("alice", ALICE)).ok(), "read at every preflight");
  }

  @Test
  void withoutAListThePlanKeysAreTakenWithAWarningNamingTheSetting() {
    PreflightCheck c = ApproverTrust.none().check(signed("alice", ALICE));
    assertTrue(c.ok());
    assertTrue(c.warning());
    assertTrue(c.detail().contains(ApproverTrust.VARIABLE), c.detail());

    GateSpec auto = new GateSpec("auto", null, null);
    PreflightCheck autoGates =
        ApproverTrust.of(tmp.resolve("absent"))
            .check(plan(List.of(), CutoverPlan.SIGNED, new GatesSpec(auto, auto, auto)));
    assertTrue(autoGates.ok(), autoGates.toString());
    assertFalse(autoGates.warning());
  }

  @Test
  void aBrokenListFailsNamingTheFileAndTheLine() throws Exception {
    PreflightCheck missing = ApproverTrust.of(tmp.resolve("absent")).check(signed("alice", ALICE));
    assertFalse(missing.ok());
    assertTrue(
        missing.detail().startsWith(ApproverTrust.VARIABLE + ": cannot read"), missing.detail());

    PreflightCheck twice =
        ApproverTrust.of(trustFile("alice " + ALICE, "alice " + MALLORY))
            .check(signed("alice", ALICE));
    assertFalse(twice.ok());
    assertTrue(twice.detail().contains("line 2 names 'alice' a second time"), twice.detail());
  }

  @Test
  void thePreflightRefusesTheRogueKeyAndSaysWhy() throws Exception {
    ApproverTrust trust = ApproverTrust.of(trustFile("alice " + ALICE));
    Registry registry =
        new Registry()
            .engine(new PostgresEngine())
            .provider(new PostgresProvider())
            .router(new ManualRouter());
    PreflightReport report;
    try (Connections connections = new Connections(new Secrets(Map.of()))) {
      report =
          new DatabaseActivitiesImpl(registry, connections)
              .trustApprovers(trust)
              .preflight("cutover-orders", signed("alice", MALLORY));
    }
    assertFalse(report.ok());
    PreflightCheck c =
        report.checks().stream()
            .filter(x -> x.check().equals(ApproverTrust.CHECK))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no trust check in " + report.checks()));
    assertFalse(c.ok(), c.toString());
    assertEquals(ApproverTrust.CHECK, c.check());
  }
}
