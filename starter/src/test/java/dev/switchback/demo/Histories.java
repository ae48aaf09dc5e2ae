package dev.switchback.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/** Reading an exported workflow history the way a person with access to it could. */
final class Histories {
  private Histories() {}

  /**
   * The history's JSON with every payload decoded: Temporal exports payload data (workflow input,
   * activity arguments and results, heartbeat details) base64-encoded, so a plain search of the
   * JSON would never find a secret in them.
   */
  static String readable(String historyJson) throws IOException {
    StringBuilder out = new StringBuilder(historyJson);
    decode(new ObjectMapper().readTree(historyJson), out);
    return out.toString();
  }

  private static void decode(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> f : node.properties()) {
        if (f.getKey().equals("data") && f.getValue().isTextual()) {
          try {
            out.append('\n')
                .append(
                    new String(
                        Base64.getDecoder().decode(f.getValue().asText()), StandardCharsets.UTF_8));
          } catch (IllegalArgumentException notBase64) {
            out.append('\n').append(f.getValue().asText());
          }
        } else {
          decode(f.getValue(), out);
        }
      }
    } else if (node.isArray()) {
      node.forEach(n -> decode(n, out));
    }
  }
}
