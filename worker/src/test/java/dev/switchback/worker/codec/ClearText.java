package dev.switchback.worker.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Finds text in an exported workflow history (its JSON), including inside payloads: a payload's
 * data is base64 in that JSON, so a plain search would miss a plan stored in clear. Every string
 * value is searched as it is and, when it is base64, decoded.
 */
public final class ClearText {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]+={0,2}");

  private ClearText() {}

  /** Where each of {@code needles} occurs ({@code "<json path>: <needle>"}), empty when nowhere. */
  public static List<String> find(String historyJson, List<String> needles) {
    try {
      List<String> hits = new ArrayList<>();
      walk(JSON.readTree(historyJson), "$", needles, hits);
      return hits;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a history's JSON: " + e.getMessage(), e);
    }
  }

  /**
   * A payload of the history: where it is, its encoding, its key id when encrypted, and the payload
   * itself as JSON.
   */
  public record PayloadAt(String path, String encoding, String keyId, String json) {}

  /** Every payload of the history (every object whose metadata names an encoding). */
  public static List<PayloadAt> payloads(String historyJson) {
    try {
      List<PayloadAt> found = new ArrayList<>();
      payloads(JSON.readTree(historyJson), "$", found);
      return found;
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("not a history's JSON: " + e.getMessage(), e);
    }
  }

  private static void payloads(JsonNode node, String path, List<PayloadAt> found) {
    if (node.isObject() && node.path("metadata").has("encoding")) {
      JsonNode metadata = node.get("metadata");
      found.add(
          new PayloadAt(
              path,
              text(metadata.get("encoding")),
              metadata.has(EncryptionCodec.KEY_ID)
                  ? text(metadata.get(EncryptionCodec.KEY_ID))
                  : null,
              node.toString()));
    } else if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        payloads(field.getValue(), path + "." + field.getKey(), found);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        payloads(node.get(i), path + "[" + i + "]", found);
      }
    }
  }

  private static String text(JsonNode base64) {
    return new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }

  private static void walk(JsonNode node, String path, List<String> needles, List<String> hits) {
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> field : node.properties()) {
        walk(field.getValue(), path + "." + field.getKey(), needles, hits);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", needles, hits);
      }
    } else if (node.isTextual()) {
      String text = node.asText();
      String decoded = decoded(text);
      for (String needle : needles) {
        if (text.contains(needle) || (decoded != null && decoded.contains(needle))) {
          hits.add(path + ": " + needle);
        }
      }
    }
  }

  private static String decoded(String text) {
    if (text.length() < 4 || text.length() % 4 != 0 || !BASE64.matcher(text).matches()) {
      return null;
    }
    try {
      return new String(Base64.getDecoder().decode(text), StandardCharsets.ISO_8859_1);
    } catch (IllegalArgumentException notBase64) {
      return null;
    }
  }
}
