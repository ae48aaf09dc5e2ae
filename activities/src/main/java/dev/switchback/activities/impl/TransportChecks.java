package dev.switchback.activities.impl;

import dev.switchback.activities.spi.Transport;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.CutoverPlan;
import java.util.List;

/**
 * The preflight's transport checks (docs/security.md, "Transport"): every connection of the cutover
 * that is not verified TLS is a warning, or a failure when the plan demands verified TLS with
 * {@code migration.options.requireVerifiedTls: true}. Plaintext stays the default so that plans and
 * running cutovers from before these checks keep working; the warning makes it visible.
 */
final class TransportChecks {
  /** The plan option that turns every transport warning into a failed check. */
  static final String REQUIRE_VERIFIED_TLS = "requireVerifiedTls";

  static final String POLICY_CHECK = "migration.options." + REQUIRE_VERIFIED_TLS;

  private TransportChecks() {}

  /**
   * Whether the plan demands verified TLS; null when the option holds something else than {@code
   * true} or {@code false} ({@link #policy} says so).
   */
  static Boolean required(CutoverPlan plan) {
    String value =
        plan.migration() == null ? null : plan.migration().option(REQUIRE_VERIFIED_TLS, null);
    if (value == null || value.isBlank() || "false".equalsIgnoreCase(value.strip())) {
      return false;
    }
    return "true".equalsIgnoreCase(value.strip()) ? true : null;
  }

  /** The check of the option itself; it fails only on a value that is neither true nor false. */
  static PreflightCheck policy(CutoverPlan plan) {
    Boolean required = required(plan);
    if (required == null) {
      return new PreflightCheck(
          POLICY_CHECK,
          false,
          "'"
              + plan.migration().option(REQUIRE_VERIFIED_TLS, null)
              + "' is not true or false; write requireVerifiedTls: \"true\" to fail the preflight"
              + " on any connection that is not verified TLS, or leave it out to be warned");
    }
    return new PreflightCheck(
        POLICY_CHECK,
        true,
        required
            ? "true: every connection must be verified TLS"
            : "not set: connections without verified TLS are warnings, not failures");
  }

  /** One connection's check, named {@code <connection>: transport}. */
  static PreflightCheck check(Transport t, CutoverPlan plan) {
    String name = t.connection() + ": transport";
    if (t.verified()) {
      return new PreflightCheck(name, true, t.detail());
    }
    if (Boolean.TRUE.equals(required(plan))) {
      return new PreflightCheck(
          name, false, t.detail() + " (" + POLICY_CHECK + " is true: only verified TLS passes)");
    }
    return PreflightCheck.warning(name, t.detail());
  }

  static List<PreflightCheck> checks(List<Transport> transports, CutoverPlan plan) {
    return transports.stream().map(t -> check(t, plan)).toList();
  }
}
