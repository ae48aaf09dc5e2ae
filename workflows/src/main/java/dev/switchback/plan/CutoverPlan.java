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
    List<String> approvers,
    List<TestSpec> tests,
    ValidationSpec validation,
    String soak) {

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
        tests == null ? List.of() : tests.stream().map(TestSpec::withDefaults).toList(),
        validation == null ? null : validation.withDefaults(),
        soak == null ? "0s" : soak);
  }

  public EndpointSpec endpoint(dev.switchback.messages.values.Side side) {
    return side == dev.switchback.messages.values.Side.SOURCE ? source : destination;
  }
}
