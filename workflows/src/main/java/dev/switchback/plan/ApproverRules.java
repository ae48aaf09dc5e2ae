package dev.switchback.plan;

import dev.switchback.approval.Ed25519;
import dev.switchback.messages.commands.RequestLimits;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Who may approve, and how they prove it (docs/security.md, Approvals): each approver once, by a
 * name an approval can carry; with approval gates, each approver has an Ed25519 public key unless
 * the plan says {@code approvals: unsigned} (labs, where a typed name is enough).
 */
final class ApproverRules {
  private ApproverRules() {}

  /**
   * @param anyApproval whether a gate waits for an approval
   * @param signedRules whether the rules of signed approvals apply (not to cutovers started before
   *     them, on replay)
   */
  static void check(
      CutoverPlan plan, boolean anyApproval, boolean signedRules, List<PlanProblem> out) {
    if (anyApproval && plan.approvers().isEmpty()) {
      out.add(
          new PlanProblem(
              "approvers",
              "a gate needs approval but nobody may approve",
              "list the people allowed to approve with their public keys, e.g. approvers: [{name:"
                  + " alice, publicKey: ...}] (switchback keys generate prints the line), or set"
                  + " the gates to auto"));
    }
    boolean unsigned = CutoverPlan.UNSIGNED.equals(plan.approvals());
    if (signedRules && !unsigned && !CutoverPlan.SIGNED.equals(plan.approvals())) {
      out.add(
          new PlanProblem(
              "approvals",
              "'" + plan.approvals() + "' is not a setting",
              "use signed (the default: approvers sign with their keys) or unsigned (labs only:"
                  + " anyone who can signal the workflow can type an approver's name)"));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < plan.approvers().size(); i++) {
      ApproverSpec a = plan.approvers().get(i);
      String f = "approvers[" + i + "]";
      String name = a == null ? null : a.name();
      if (name == null || name.isBlank() || !seen.add(name)) {
        out.add(
            new PlanProblem(
                f + ".name",
                name == null || name.isBlank() ? "missing" : "'" + name + "' is listed twice",
                "list each approver once, by name"));
        continue;
      }
      if (!signedRules) {
        continue;
      }
      if (name.length() > RequestLimits.BY) {
        out.add(
            new PlanProblem(
                f + ".name",
                "is "
                    + name.length()
                    + " characters long; an approval names at most "
                    + RequestLimits.BY,
                "use a shorter name"));
      }
      if (a.publicKey() != null) {
        publicKey(f, name, a.publicKey(), out);
      } else if (anyApproval && !unsigned) {
        out.add(
            new PlanProblem(
                f + ".publicKey",
                name
                    + " has no public key: approvals are signed (approvals: signed is the default),"
                    + " so "
                    + name
                    + " could not approve",
                "make "
                    + name
                    + "'s key pair with `switchback keys generate --out "
                    + name
                    + ".key --name "
                    + name
                    + "` and write the publicKey it prints here; in a lab, where anyone who can"
                    + " signal the workflow may approve by name, set approvals: unsigned"));
      }
    }
  }

  private static void publicKey(String field, String name, String key, List<PlanProblem> out) {
    try {
      Ed25519.publicKey(key);
    } catch (IllegalArgumentException e) {
      out.add(
          new PlanProblem(
              field + ".publicKey",
              name + "'s public key: " + e.getMessage(),
              "write the publicKey line switchback keys generate printed (base64 of the X.509"
                  + " SubjectPublicKeyInfo of an Ed25519 key, MCowBQYDK2VwAyEA...)"));
    }
  }
}
