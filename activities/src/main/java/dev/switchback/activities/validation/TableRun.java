package dev.switchback.activities.validation;

import dev.switchback.messages.values.TableComparison;
import java.util.List;

/**
 * One table's result.
 *
 * @param comparison rows and differences, as in the workflow's report
 * @param ranges key ranges compared (in {@code sample} mode, the sampled ones)
 * @param resumedRanges of those, ranges a previous attempt had compared already
 * @param durationMs time spent on the table, over all attempts
 * @param problems differences that are not rows (a column missing on the destination); any problem
 *     fails the table
 * @param notes how the table was compared, when the operator should know
 * @param differences the differing rows found ({@code missing id=3}, {@code changed id=9}), up to
 *     1000 of each kind; the comparison's counts are exact beyond that
 */
public record TableRun(
    TableComparison comparison,
    int ranges,
    int resumedRanges,
    long durationMs,
    List<String> problems,
    List<String> notes,
    List<String> differences) {

  public TableRun {
    problems = List.copyOf(problems);
    notes = List.copyOf(notes);
    differences = List.copyOf(differences);
  }

  public String table() {
    return comparison.table();
  }

  public boolean passed() {
    return comparison.same() && problems.isEmpty();
  }
}
