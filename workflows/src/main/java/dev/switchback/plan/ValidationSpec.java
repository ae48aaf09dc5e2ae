package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Data validation after the switch: source and destination compared table by table.
 *
 * @param tables tables to compare ({@code schema.table} or {@code table}); empty: every table
 * @param mode {@code full} (default) or {@code sample}
 * @param failOnDifference a difference fails the test stage and so rolls back (default true)
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ValidationSpec(List<String> tables, String mode, Boolean failOnDifference) {

  public ValidationSpec withDefaults() {
    return new ValidationSpec(
        tables == null ? List.of() : List.copyOf(tables),
        mode == null ? "full" : mode,
        failOnDifference == null ? Boolean.TRUE : failOnDifference);
  }
}
