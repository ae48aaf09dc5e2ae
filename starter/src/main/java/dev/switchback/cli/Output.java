package dev.switchback.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Where a command writes: text for people on stdout, or with {@code --json} exactly one JSON object
 * on stdout for scripts. Progress and warnings go to stderr, so stdout stays parseable.
 */
public final class Output {
  static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--json",
      description = "Print one JSON object on stdout (for scripts) instead of text.")
  boolean json;

  public boolean json() {
    return json;
  }

  public PrintWriter out() {
    return spec.commandLine().getOut();
  }

  public PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** A line of text for people; nothing in JSON mode. */
  public void line(String text) {
    if (!json) {
      out().println(text);
      out().flush();
    }
  }

  /** A note on stderr (never part of the JSON on stdout). */
  public void note(String text) {
    err().println(text);
    err().flush();
  }

  /** The one JSON object of this command; nothing in text mode. */
  public void object(Object value) {
    if (json) {
      out().println(toJson(value));
      out().flush();
    }
  }

  static String toJson(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON: " + e.getMessage(), e);
    }
  }
}
