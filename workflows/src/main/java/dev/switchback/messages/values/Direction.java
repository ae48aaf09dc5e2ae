package dev.switchback.messages.values;

/**
 * Which migration instance: {@code FORWARD} carries source to destination (the migration being cut
 * over), {@code REVERSE} carries destination back to source (the rollback path).
 */
public enum Direction {
  FORWARD,
  REVERSE;

  /** The side this instance reads from. */
  public Side from() {
    return this == FORWARD ? Side.SOURCE : Side.DESTINATION;
  }

  /** The side this instance writes to. */
  public Side to() {
    return from().other();
  }
}
