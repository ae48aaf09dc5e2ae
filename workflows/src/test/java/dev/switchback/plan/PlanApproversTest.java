package dev.switchback.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchback.approval.Ed25519;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 2: approvers carry Ed25519 public keys, and a plan with approval gates whose
 * approvers cannot sign is refused unless it says {@code approvals: unsigned} (labs).
 */
class PlanApproversTest {
  private static final String ALICE_KEY = Ed25519.encode(Ed25519.generate().getPublic());

  private static CutoverPlan plan(GatesSpec gates, List<ApproverSpec> approvers, String approvals) {
    CutoverPlan p = PlanValidatorTest.minimal();
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
        p.soak());
  }

  private static List<PlanProblem> approverProblems(CutoverPlan plan) {
    return PlanValidator.problems(plan.withDefaults()).stream()
        .filter(p -> p.field().startsWith("approv"))
        .toList();
  }

  private static GatesSpec allAuto() {
    GateSpec auto = new GateSpec("auto", null, null);
    return new GatesSpec(auto, auto, auto);
  }

  @Test
  void approvalGatesWithApproversWithoutKeysAreRefusedNamingTheFieldAndTheFix() {
    List<PlanProblem> problems =
        approverProblems(
            plan(
                null,
                List.of(new ApproverSpec("alice", ALICE_KEY), ApproverSpec.named("bob")),
                null));
    assertEquals(1, problems.size(), problems.toString());
    PlanProblem p = problems.get(0);
    assertEquals("approvers[1].publicKey", p.field());
    assertTrue(p.problem().contains("bob has no public key"), p.problem());
    assertTrue(p.fix().contains("switchback keys generate --out bob.key"), p.fix());
    assertTrue(p.fix().contains("approvals: unsigned"), p.fix());
  }

  @Test
  void signedApproversPass() {
    assertEquals(
        List.of(),
        approverProblems(plan(null, List.of(new ApproverSpec("alice", ALICE_KEY)), null)));
  }

  @Test
  void unsignedSettingLetsALabApproveByName() {
    assertEquals(
        List.of(),
        approverProblems(plan(null, ApproverSpec.names("alice", "bob"), CutoverPlan.UNSIGNED)));
  }

  @Test
  void gatesThatAreAllAutoNeedNoKeys() {
    assertEquals(List.of(), approverProblems(plan(allAuto(), ApproverSpec.names("alice"), null)));
  }

  @Test
  void badKeysAreRefusedNamingTheApproverEvenInALab() throws Exception {
    String rsa =
        Base64.getEncoder()
            .encodeToString(
                KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic().getEncoded());
    List<PlanProblem> problems =
        approverProblems(
            plan(
                null,
                List.of(
                    new ApproverSpec("alice", "not base64 at all!"),
                    new ApproverSpec("carol", rsa)),
                CutoverPlan.UNSIGNED));
    assertEquals(2, problems.size(), problems.toString());
    assertEquals("approvers[0].publicKey", problems.get(0).field());
    assertTrue(
        problems.get(0).problem().contains("alice's public key: it is not base64"),
        problems.get(0).problem());
    assertEquals("approvers[1].publicKey", problems.get(1).field());
    assertTrue(
        problems.get(1).problem().contains("carol's public key: it is not an Ed25519 public key"),
        problems.get(1).problem());
    assertTrue(problems.get(1).fix().contains("switchback keys generate"), problems.get(1).fix());
  }

  @Test
  void unknownApprovalsSettingIsRefused() {
    List<PlanProblem> problems =
        approverProblems(plan(null, List.of(new ApproverSpec("alice", ALICE_KEY)), "maybe"));
    assertEquals(1, problems.size(), problems.toString());
    assertEquals("approvals", problems.get(0).field());
    assertTrue(problems.get(0).fix().contains("signed"), problems.get(0).fix());
  }

  @Test
  void approverWithoutANameIsRefused() {
    List<PlanProblem> problems =
        approverProblems(plan(null, List.of(new ApproverSpec(null, ALICE_KEY)), null));
    assertEquals("approvers[0].name", problems.get(0).field(), problems.toString());
  }

  @Test
  void approversAreReadFromPlainNamesAndFromNameAndKey() throws Exception {
    ObjectMapper json = new ObjectMapper();
    CutoverPlan read =
        json.readValue(
            "{\"name\":\"orders\",\"approvals\":\"unsigned\",\"approvers\":[\"bob\","
                + "{\"name\":\"alice\",\"publicKey\":\""
                + ALICE_KEY
                + "\"}]}",
            CutoverPlan.class);
    assertEquals(
        List.of(ApproverSpec.named("bob"), new ApproverSpec("alice", ALICE_KEY)), read.approvers());
    assertEquals("unsigned", read.approvals());
    String written = json.writeValueAsString(read);
    assertTrue(
        written.contains(
            "\"approvers\":[\"bob\",{\"name\":\"alice\",\"publicKey\":\"" + ALICE_KEY + "\"}]"),
        "a name without a key is written as plans wrote it before keys: " + written);
    assertEquals(read.approvers(), json.readValue(written, CutoverPlan.class).approvers());
  }
}
