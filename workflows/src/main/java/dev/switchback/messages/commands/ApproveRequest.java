package dev.switchback.messages.commands;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.switchback.messages.values.RequestSignature;

/**
 * Approve gate {@code gate} ({@code quiesce}, {@code switch}, {@code finalize}).
 *
 * @param signature the approver's signature; required when the plan lists the approver with a
 *     public key, absent for approvals by name ({@code approvals: unsigned})
 */
public record ApproveRequest(String gate, String by, String comment, RequestSignature signature) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public ApproveRequest {}

  /** An unsigned approval, as clients sent before signatures (and still may in labs). */
  public ApproveRequest(String gate, String by, String comment) {
    this(gate, by, comment, null);
  }
}
