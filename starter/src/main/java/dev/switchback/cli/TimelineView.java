package dev.switchback.cli;

import dev.switchback.messages.queries.CutoverStatus;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.messages.values.GateDecision;
import dev.switchback.messages.values.TestResult;
import dev.switchback.messages.values.TimelineEntry;
import dev.switchback.plan.Durations;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a cutover's phase timeline. On a terminal it redraws one frame in place; anywhere else (a
 * pipe, a log, CI) it appends only what changed, so the output reads as a log.
 */
final class TimelineView {
  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

  private final PrintWriter out;
  private final boolean ansi;
  private final String workflowId;
  private int frameLines;
  private final Map<String, String> printedOutcome = new HashMap<>();
  private String printedHeader;
  private String printedFooter;

  TimelineView(PrintWriter out, boolean ansi, String workflowId) {
    this.out = out;
    this.ansi = ansi;
    this.workflowId = workflowId;
  }

  /** Shows {@code status} as of {@code nowMillis}. */
  void show(CutoverStatus status, long nowMillis) {
    if (ansi) {
      List<String> frame = frame(status, nowMillis, workflowId);
      if (frameLines > 0) {
        // Cursor to the start of the previous frame, then clear to the end of the screen.
        out.print("\u001b[" + frameLines + "F\u001b[J");
      }
      frame.forEach(out::println);
      frameLines = frame.size();
    } else {
      String header = header(status);
      if (!header.equals(printedHeader)) {
        out.println(header);
        printedHeader = header;
      }
      appendChanged(status.timeline(), nowMillis);
      String footer = footer(status, workflowId);
      if (footer != null && !footer.equals(printedFooter)) {
        out.println(footer);
      }
      printedFooter = footer;
    }
    out.flush();
  }

  /** Shows the end: the timeline's last changes, then the report. */
  void finish(CutoverReport report, long nowMillis) {
    if (ansi) {
      if (frameLines > 0) {
        out.print("\u001b[" + frameLines + "F\u001b[J");
      }
      report.timeline().forEach(e -> out.println(entry(e, nowMillis)));
    } else {
      appendChanged(report.timeline(), nowMillis);
    }
    reportLines(report).forEach(out::println);
    out.flush();
  }

  private void appendChanged(List<TimelineEntry> timeline, long nowMillis) {
    if (timeline == null) {
      return;
    }
    for (TimelineEntry e : timeline) {
      String key = e.step() + "@" + e.startedAtMillis();
      if (!e.outcome().equals(printedOutcome.get(key))) {
        out.println(entry(e, nowMillis));
        printedOutcome.put(key, e.outcome());
      }
    }
  }

  /** The whole picture at once (status command, terminal redraw). */
  static List<String> frame(CutoverStatus s, long nowMillis, String workflowId) {
    List<String> lines = new ArrayList<>();
    lines.add(header(s));
    if (s.timeline() != null) {
      s.timeline().forEach(e -> lines.add(entry(e, nowMillis)));
    }
    String footer = footer(s, workflowId);
    if (footer != null) {
      lines.add(footer);
    }
    return lines;
  }

  static String header(CutoverStatus s) {
    StringBuilder b = new StringBuilder();
    b.append("cutover ").append(s.plan()).append(": phase ").append(s.phase());
    if (s.applicationTarget() != null) {
      b.append(", application on ").append(s.applicationTarget().word());
    }
    b.append(s.writesStopped() ? ", writes stopped" : ", writes flowing");
    if (s.writeOutageMs() > 0) {
      b.append(", write outage ").append(Durations.human(s.writeOutageMs()));
    }
    if (s.forwardLatencyMs() != null) {
      b.append(", latency ").append(Durations.human(s.forwardLatencyMs()));
    }
    if (s.reverseLatencyMs() != null) {
      b.append(", reverse latency ").append(Durations.human(s.reverseLatencyMs()));
    }
    if (s.outcome() != null) {
      b.append(", outcome ").append(s.outcome());
    }
    return b.toString();
  }

  static String entry(TimelineEntry e, long nowMillis) {
    long end = e.endedAtMillis() > 0 ? e.endedAtMillis() : nowMillis;
    long took = Math.max(0, end - e.startedAtMillis());
    return String.format(
        "  %s  %-22s %-8s %7s  %s",
        CLOCK.format(Instant.ofEpochMilli(e.startedAtMillis())),
        e.step(),
        e.outcome(),
        Durations.human(took),
        e.detail() == null ? "" : e.detail());
  }

  static String footer(CutoverStatus s, String workflowId) {
    if (s.pendingGate() != null) {
      return "  waiting for approval of gate '"
          + s.pendingGate()
          + "': switchback approve "
          + s.pendingGate()
          + " --by NAME --id "
          + workflowId;
    }
    if (s.reason() != null && s.outcome() == null) {
      return "  " + s.phase().name().toLowerCase().replace('_', ' ') + ": " + s.reason();
    }
    return null;
  }

  static List<String> reportLines(CutoverReport r) {
    List<String> lines = new ArrayList<>();
    StringBuilder head = new StringBuilder("outcome ").append(r.outcome());
    if (r.applicationTarget() != null) {
      head.append(": application on ").append(r.applicationTarget().word());
    }
    head.append(", write outage ").append(Durations.human(r.writeOutageMs()));
    lines.add(head.toString());
    if (r.reason() != null) {
      lines.add(
          "  reason: "
              + r.reason()
              + (r.requestedBy() == null ? "" : " (requested by " + r.requestedBy() + ")"));
    }
    if (r.approvals() != null && !r.approvals().isEmpty()) {
      lines.add("approvals:");
      for (GateDecision d : r.approvals()) {
        lines.add(
            String.format(
                "  %-9s %-9s by %s%s at %s%s",
                d.gate(),
                d.decision(),
                d.by(),
                d.verified() == null ? "" : d.verified() ? " (signature verified)" : " (unsigned)",
                CLOCK.format(Instant.ofEpochMilli(d.atMillis())),
                d.comment() == null || d.comment().isBlank() ? "" : ": " + d.comment()));
      }
    }
    if (r.tests() != null && r.tests().results() != null) {
      long passed = r.tests().results().stream().filter(TestResult::passed).count();
      lines.add(
          "tests: "
              + (r.tests().passed() ? "passed" : "FAILED")
              + " ("
              + passed
              + "/"
              + r.tests().results().size()
              + ")");
      for (TestResult t : r.tests().results()) {
        if (!t.passed()) {
          lines.add("  failed " + t.name() + ": " + t.detail());
        }
      }
    }
    if (r.validation() != null) {
      lines.add(
          "validation: "
              + (r.validation().passed() ? "passed" : "FAILED")
              + (r.validation().tables() == null
                  ? ""
                  : ", " + r.validation().tables().size() + " tables")
              + " in "
              + Durations.human(r.validation().durationMs())
              + (r.validation().detail() == null ? "" : ": " + r.validation().detail()));
    }
    if (r.manualActions() != null && !r.manualActions().isEmpty()) {
      lines.add("to do by hand:");
      r.manualActions().forEach(a -> lines.add("  - " + a));
    }
    return lines;
  }
}
