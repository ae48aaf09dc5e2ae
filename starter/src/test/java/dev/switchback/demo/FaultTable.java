package dev.switchback.demo;

import java.util.ArrayList;
import java.util.Comparator;
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
   * @param retried activities that ran more than once, with why the attempt before ended
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
      List<String> retried,
      List<String> problems,
      long seconds) {
    boolean safe() {
      return problems.isEmpty();
    }
  }

  private final List<Row> rows = new ArrayList<>();

  synchronized void add(Row row) {
    rows.add(row);
  }

  synchronized List<Row> failed() {
    return rows.stream().filter(r -> !r.safe()).toList();
  }

  /** Markdown, as the README shows it, in the order of {@code cells} (lanes end in any order). */
  synchronized String markdown(List<FaultCell> cells) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| engine | phase | fault | outcome | rows lost / duplicated | leftovers | steps retried"
            + " | s | safe |\n");
    out.append("|---|---|---|---|---|---|---|---|---|\n");
    List<Row> ordered = new ArrayList<>(rows);
    ordered.sort(Comparator.comparingInt(r -> cells.indexOf(r.cell())));
    for (Row r : ordered) {
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
          .append(r.retried().isEmpty() ? "none" : String.join("; ", r.retried()))
          .append(" | ")
          .append(r.seconds())
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
