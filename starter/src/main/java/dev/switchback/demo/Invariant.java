package dev.switchback.demo;

import dev.switchback.messages.values.Side;

/**
 * A property of the load's own data that holds on the side the application ends on when no
 * acknowledged transaction was lost, doubled or half applied.
 *
 * @param name what it says, for people
 * @param side where it was checked
 * @param holds whether it holds
 * @param detail the figures
 */
public record Invariant(String name, Side side, boolean holds, String detail) {

  @Override
  public String toString() {
    return "on the "
        + side.word()
        + ": "
        + name
        + ": "
        + (holds ? "holds" : "BROKEN")
        + " ("
        + detail
        + ")";
  }
}
