package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A cutover plan: what to move, from where to where, how the application is switched, and which
 * gates a human must approve. Written by an operator as YAML, converted 1:1 to JSON as the input of
 * the {@code Cutover} workflow. Secrets are references ({@code env:NAME}, {@code file:/path}),
 * never values, so they never enter workflow history.
 *
 * <p>Build it with Jackson, then call {@link #withDefaults()} and {@link PlanValidator#validate}.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CutoverPlan(
    String name,
    MigrationSpec migration,
    EndpointSpec source,
    EndpointSpec destination,
    MigrationAccountSpec migrationAccount,
    RouterSpec router,
    Thresholds thresholds,
    GatesSpec gates,
    List<ApproverSpec> approvers,
    String approvals,
    List<TestSpec> tests,
    ValidationSpec validation,
    String soak) {

  /** {@code approvals}: an approver must sign (the default); every approver needs a public key. */
  public static final String SIGNED = "signed";

  /**
   * {@code approvals}: approvers without a key approve by name alone, which anyone who can signal
   * the workflow can type. For labs; an approver listed with a key must still sign.
   */
  public static final String UNSIGNED = "unsigned";

  /** The workflow id of a plan's cutover: one cutover per plan name at a time. */
  public String workflowId() {
    return "cutover-" + name;
  }

  /** A copy with the seed's defaults filled in wherever the operator said nothing. */
  public CutoverPlan withDefaults() {
    return new CutoverPlan(
        name,
        migration == null ? null : migration.withDefaults(name),
        source == null ? null : source.withDefaults(),
        destination == null ? null : destination.withDefaults(),
        migrationAccount,
        router == null ? RouterSpec.manual() : router.withDefaults(),
        (thresholds == null ? Thresholds.defaults(migration) : thresholds.withDefaults(migration)),
        (gates == null ? GatesSpec.defaults() : gates.withDefaults()),
        approvers == null ? List.of() : List.copyOf(approvers),
        approvals == null ? SIGNED : approvals,
        tests == null ? List.of() : tests.stream().map(TestSpec::withDefaults).toList(),
        validation == null ? null : validation.withDefaults(),
        soak == null ? "0s" : soak);
  }

  /** This plan with another router. */
  public CutoverPlan withRouter(RouterSpec newRouter) {
    return new CutoverPlan(
        name,
        migration,
        source,
        destination,
        migrationAccount,
        newRouter,
        thresholds,
        gates,
        approvers,
        approvals,
        tests,
        validation,
        soak);
  }

  /** The approvers' names, in the plan's order. */
  public List<String> approverNames() {
    return approvers == null ? List.of() : approvers.stream().map(ApproverSpec::name).toList();
  }

  /** The approver called {@code name}, or null when the plan lists nobody by that name. */
  public ApproverSpec approver(String name) {
    if (approvers == null || name == null) {
      return null;
    }
    return approvers.stream().filter(a -> name.equals(a.name())).findFirst().orElse(null);
  }

  public EndpointSpec endpoint(dev.switchback.messages.values.Side side) {
    return side == dev.switchback.messages.values.Side.SOURCE ? source : destination;
  }
}
