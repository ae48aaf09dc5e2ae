package dev.switchback.messages.commands;

import com.fasterxml.jackson.annotation.JsonCreator;
import dev.switchback.messages.values.RequestSignature;

/**
 * Stop the cutover before any write stopped. Anyone may ask; a signature only proves who asked.
 *
 * @param signature optional: the signature of an approver listed with a public key
 */
public record AbortRequest(String by, String reason, RequestSignature signature) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public AbortRequest {}

  public AbortRequest(String by, String reason) {
    this(by, reason, null);
  }
}
