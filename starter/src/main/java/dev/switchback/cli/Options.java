package dev.switchback.cli;

import dev.switchback.plan.Durations;
import java.time.Duration;

/** Checks of option values that picocli's types cannot express. */
final class Options {
  private Options() {}

  static Duration duration(String option, String value) {
    if (!Durations.valid(value)) {
      throw CliException.badInput(
          option + " '" + value + "' is not a duration: write e.g. 500ms, 1s, 5s");
    }
    Duration d = Durations.parse(value);
    if (d.isZero()) {
      throw CliException.badInput(option + " must be more than 0, e.g. 1s");
    }
    return d;
  }

  static String required(String option, String value, String example) {
    if (value == null || value.isBlank()) {
      throw CliException.badInput(option + " is empty: give " + example);
    }
    return value;
  }
}
