package dev.switchback.demo;

import java.util.ArrayList;
import java.util.List;

/** The fault suite's table: fault x phase -> outcome, rows lost, leftovers. */
final class FaultTable {

  /**
   * What one cell ended in.
   *
   * @param cell the cell
   * @param fault what was done, in words
   * @param outcome the cutover's outcome (or why there was none)
   * @param lost acknowledged writes missing on the side the application ends on (-1: not checked)
   * @param duplicated order numbers present twice there (-1: not checked)
   * @param leftovers what stays behind that the outcome does not call for and no manual action
   *     names, plus fences in the wrong state
   * @param problems why the cell is not safe; empty when it is
   * @param seconds how long the cell took, preparation included
   */
  record Row(
      FaultCell cell,
      String fault,
      String outcome,
      long lost,
      long duplicated,
      List<String> leftovers,
      List<String> problems,
      long seconds) {
    boolean safe() {
      return problems.isEmpty();
    }
  }

  private final List<Row> rows = new ArrayList<>();

  void add(Row row) {
    rows.add(row);
  }

  List<Row> failed() {
    return rows.stream().filter(r -> !r.safe()).toList();
  }

  /** Markdown, as the README shows it. */
  String markdown() {
    StringBuilder out = new StringBuilder();
    out.append(
        "| engine | phase | fault | outcome | rows lost / duplicated | leftovers | safe |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      out.append("| ")
          .append(r.cell().engine())
          .append(" | ")
          .append(r.cell().stage().word)
          .append(" | ")
          .append(r.fault())
          .append(" | ")
          .append(r.outcome())
          .append(" | ")
          .append(count(r.lost()))
          .append(" / ")
          .append(count(r.duplicated()))
          .append(" | ")
          .append(r.leftovers().isEmpty() ? "none" : String.join("; ", r.leftovers()))
          .append(" | ")
          .append(r.safe() ? "yes" : "**no**: " + String.join("; ", r.problems()))
          .append(" |\n");
    }
    return out.toString();
  }

  private static String count(long n) {
    return n < 0 ? "not checked" : Long.toString(n);
  }
}
