package dev.switchback.activities.validation;

import dev.switchback.messages.values.ValidationReport;
import java.util.List;

/**
 * A validation's full result: the report the workflow keeps, and per table what the CLI shows
 * besides it.
 */
public record ValidationRun(ValidationReport report, List<TableRun> tables) {

  public ValidationRun {
    tables = List.copyOf(tables);
  }

  public boolean passed() {
    return report.passed();
  }
}
