package dev.switchback.messages.commands;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.switchback.messages.values.RequestSignature;

/**
 * Roll the cutover back (until finalize). Anyone may ask (it is the safe direction); a signature
 * only proves who asked, and the timeline says whether it did.
 *
 * @param signature optional: the signature of an approver listed with a public key
 */
public record RollbackRequest(String by, String reason, RequestSignature signature) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public RollbackRequest {}

  public RollbackRequest(String by, String reason) {
    this(by, reason, null);
  }
}
