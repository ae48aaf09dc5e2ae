package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.worker.codec.PayloadKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo's worker encrypts with the shell's payload keys, checked against the demo's own secret
 * scope: its plans may read files anywhere under the temporary directory, so keys there would be
 * within their reach.
 */
class DemoPayloadKeysTest {
  @Test
  void theDemoTakesTheShellsKeysButNoneUnderItsTemporaryDirectory() throws Exception {
    Path keys = Path.of("src/test/resources/codec/keys").toAbsolutePath();
    PayloadKeys loaded =
        Demo.payloadKeys(
            Map.of(
                PayloadKeys.DIR_VARIABLE,
                keys.toString(),
                PayloadKeys.CURRENT_VARIABLE,
                "lab-2026-12"));
    assertEquals("lab-2026-12", loaded.current());

    Path tmp = Files.createTempDirectory("switchback-demo-keys-");
    try {
      Files.copy(keys.resolve("lab-2026-12.key"), tmp.resolve("lab-2026-12.key"));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Demo.payloadKeys(Map.of(PayloadKeys.DIR_VARIABLE, tmp.toString())));
      assertTrue(e.getMessage().contains("inside the secret scope"), e.getMessage());
    } finally {
      Files.deleteIfExists(tmp.resolve("lab-2026-12.key"));
      Files.delete(tmp);
    }
  }
}
