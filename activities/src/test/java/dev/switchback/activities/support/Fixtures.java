package dev.switchback.activities.support;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Reads the JSON fixtures under src/test/resources (rows a query printed as JSON). */
public final class Fixtures {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  /** The resource's text; {@code name} is relative to {@code near}'s package. */
  public static String text(Class<?> near, String name) {
    try (InputStream in = near.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("fixture " + name + " not found next to " + near.getName());
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON array of row objects, each as {@link Columns}. */
  public static List<Columns> rows(Class<?> near, String name) {
    try {
      List<Map<String, Object>> rows =
          JSON.readValue(text(near, name), new TypeReference<List<Map<String, Object>>>() {});
      return rows.stream().map(Columns::of).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
