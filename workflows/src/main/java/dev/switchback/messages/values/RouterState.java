package dev.switchback.messages.values;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Where the application points and whether its writes are held.
 *
 * @param target the side the application uses, null when unknown
 * @param quiesced whether writes are held
 * @param detail a line for humans
 * @param clientStallMs on resume, how long the longest application client waited for the switch, as
 *     the router measured it (PgBouncer: {@code SHOW POOLS maxwait} just before {@code RESUME});
 *     null when the router cannot know (manual, webhook, HAProxy, and every other call)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouterState(Side target, boolean quiesced, String detail, Long clientStallMs) {

  /** A state without a client stall measurement. */
  public RouterState(Side target, boolean quiesced, String detail) {
    this(target, quiesced, detail, null);
  }
}
