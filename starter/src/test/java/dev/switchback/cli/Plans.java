package dev.switchback.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Plan files for tests. */
final class Plans {
  private Plans() {}

  /** A valid plan named {@code name}; {@code gates} is YAML under {@code gates:} or null. */
  static String yaml(String name, String gates) {
    return """
        name: %s
        migration:
          provider: postgres
          instance: orders_mig
        source:
          engine: postgres
          url: jdbc:postgresql://127.0.0.1:5433/orders
          user: switchback
          password: env:SOURCE_PASSWORD
        destination:
          engine: postgres
          url: jdbc:postgresql://127.0.0.1:5434/orders
          user: switchback
        migrationAccount:
          user: migrator
        router:
          type: webhook
          url: http://127.0.0.1:8080/switchback
        approvers: [alice, bob]
        approvals: unsigned
        tests:
          - name: orders readable
            sql: select count(*) from orders
        soak: 10m
        """
            .formatted(name)
        + (gates == null ? "" : "gates:\n" + gates);
  }

  static Path write(Path dir, String fileName, String text) {
    try {
      Path file = dir.resolve(fileName);
      Files.writeString(file, text);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
