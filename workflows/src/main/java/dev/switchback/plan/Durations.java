package dev.switchback.plan;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Duration strings as operators write them: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /**
   * No wait in a cutover is longer than this; anything longer is a typo. Each plan field has its
   * own tighter bounds ({@link DurationLimits}); this one only keeps every parsed value far inside
   * what {@link Duration#toMillis()} and Temporal's timers can hold.
   */
  public static final Duration MAX = Duration.ofDays(3650);

  private Durations() {}

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException naming {@code text} and the accepted forms when it is not a
   *     duration, or when it is longer than {@link #MAX}; never a NumberFormatException or an
   *     ArithmeticException, so a caller can report any bad text as a plan problem
   */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("missing duration");
    }
    Matcher m = FORMAT.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a duration: write a number and a unit, e.g. 500ms, 5s, 2m, 1h, 1d");
    }
    String unit = m.group(2);
    long perUnit =
        switch (unit) {
          case "ms" -> 1L;
          case "s" -> 1_000L;
          case "m" -> 60_000L;
          case "h" -> 3_600_000L;
          default -> 86_400_000L;
        };
    // Digits beyond what MAX can need are refused before any arithmetic, which could overflow.
    String digits = m.group(1).replaceFirst("^0+(?=\\d)", "");
    if (digits.length() > 12 || Long.parseLong(digits) > MAX.toMillis() / perUnit) {
      throw new IllegalArgumentException(
          "'" + text + "' is too long: no wait in a cutover may exceed " + MAX.toDays() + "d");
    }
    return Duration.ofMillis(Long.parseLong(digits) * perUnit);
  }

  /** Whether {@link #parse} accepts {@code text}. */
  public static boolean valid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** A short human rendering: {@code 1.2s}, {@code 3m05s}. */
  public static String human(long millis) {
    if (millis < 1000) {
      return millis + "ms";
    }
    if (millis < 60_000) {
      return String.format("%.1fs", millis / 1000.0);
    }
    long s = millis / 1000;
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
