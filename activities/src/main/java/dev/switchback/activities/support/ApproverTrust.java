package dev.switchback.activities.support;

import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.GatesSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The approvers a worker trusts, set by its operator: a plan's approver keys come from whoever
 * starts the cutover, so without this list a plan author chooses who may approve. The file named by
 * {@code SWITCHBACK_TRUSTED_APPROVERS} holds one {@code name publicKey} line per approver ({@code
 * #} starts a comment), the key as {@code switchback keys generate} prints it. It is read at every
 * preflight, so removing a line stops that key at the next cutover without a restart.
 */
public final class ApproverTrust {
  public static final String VARIABLE = "SWITCHBACK_TRUSTED_APPROVERS";
  public static final String CHECK = "approvers trusted by this worker";

  private final Path file;

  private ApproverTrust(Path file) {
    this.file = file;
  }

  /** No list: the plan's keys are taken as the plan gives them. */
  public static ApproverTrust none() {
    return new ApproverTrust(null);
  }

  public static ApproverTrust of(Path file) {
    return new ApproverTrust(file);
  }

  public static ApproverTrust fromEnvironment(Map<String, String> env) {
    String value = env.get(VARIABLE);
    return value == null || value.isBlank() ? none() : of(Path.of(value.trim()));
  }

  /** The preflight check of {@code plan}'s approvers against this list. */
  public PreflightCheck check(CutoverPlan plan) {
    if (!anyApproval(plan)) {
      return new PreflightCheck(CHECK, true, "no gate waits for an approval");
    }
    if (file == null) {
      return PreflightCheck.warning(
          CHECK,
          "this worker has no list of trusted approvers, so the plan's approver keys are taken as"
              + " written: whoever can start a cutover in this namespace chooses who approves it;"
              + " set "
              + VARIABLE
              + " on the worker to a file of 'name publicKey' lines");
    }
    Map<String, String> trusted;
    try {
      trusted = read();
    } catch (IllegalArgumentException e) {
      return new PreflightCheck(CHECK, false, e.getMessage());
    }
    List<String> problems = new ArrayList<>();
    if (CutoverPlan.UNSIGNED.equals(plan.approvals())) {
      problems.add(
          "approvals: this worker trusts only signed approvals from "
              + file
              + ", and the plan says unsigned: remove 'approvals: unsigned' and give each"
              + " approver the key the worker trusts");
    }
    List<ApproverSpec> approvers = plan.approvers();
    for (int i = 0; i < approvers.size(); i++) {
      ApproverSpec a = approvers.get(i);
      String key = trusted.get(a.name());
      String field = "approvers[" + i + "]";
      if (key == null) {
        problems.add(
            field
                + ": '"
                + a.name()
                + "' is not among the approvers this worker trusts ("
                + file
                + "): ask the worker's operator to add them, or remove them from the plan");
      } else if (a.publicKey() == null || !key.equals(a.publicKey().trim())) {
        problems.add(
            field
                + ".publicKey: not the key this worker trusts for '"
                + a.name()
                + "' ("
                + file
                + "): use the key listed there");
      }
    }
    if (!problems.isEmpty()) {
      return new PreflightCheck(CHECK, false, String.join("; ", problems));
    }
    return new PreflightCheck(
        CHECK,
        true,
        "every approver's key is one this worker trusts ("
            + approvers.size()
            + " of "
            + trusted.size()
            + " in "
            + file
            + ")");
  }

  private Map<String, String> read() {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          VARIABLE
              + ": cannot read "
              + file
              + " ("
              + e.getClass().getSimpleName()
              + "): fix the worker's setting, or unset it to take the plan's keys as written");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2 || out.containsKey(parts[0])) {
        throw new IllegalArgumentException(
            VARIABLE
                + ": "
                + file
                + " line "
                + (n + 1)
                + (parts.length != 2
                    ? " is not 'name publicKey'"
                    : " names '" + parts[0] + "' a second time")
                + ": write one 'name publicKey' line per approver");
      }
      out.put(parts[0], parts[1]);
    }
    return out;
  }

  private static boolean anyApproval(CutoverPlan plan) {
    GatesSpec gates = plan.withDefaults().gates();
    return Stream.of(gates.quiesce(), gates.switchGate(), gates.finalizeGate())
        .anyMatch(g -> g != null && !g.auto());
  }
}
