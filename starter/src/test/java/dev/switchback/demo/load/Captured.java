package dev.switchback.demo.load;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Output the tools printed here, captured by running them against the lab (see each file's test for
 * how): pgbench 15.20 and sysbench 1.0.20 from Debian 12's packages.
 */
final class Captured {
  private Captured() {}

  static String text(String name) throws IOException {
    try (InputStream in = Captured.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no captured output " + name + " next to Captured");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static List<String> lines(String name) throws IOException {
    return text(name).lines().toList();
  }
}
