package dev.switchback.messages.values;

/** A side of the cutover. */
public enum Side {
  SOURCE,
  DESTINATION;

  public Side other() {
    return this == SOURCE ? DESTINATION : SOURCE;
  }

  public String word() {
    return name().toLowerCase();
  }
}
