package dev.switchback.activities.redis;

import java.util.HashMap;
import java.util.Map;

/** The {@code INFO} reply of one section, as key/value pairs. */
final class RedisInfo {
  private final Map<String, String> fields = new HashMap<>();

  RedisInfo(String reply) {
    for (String line : reply.split("\r?\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
  }

  String get(String key) {
    return fields.get(key);
  }

  String get(String key, String fallback) {
    return fields.getOrDefault(key, fallback);
  }

  long number(String key, long fallback) {
    String v = fields.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** A {@code a=1,b=2} valued field (such as {@code slave0}) split into its parts. */
  Map<String, String> parts(String key) {
    Map<String, String> out = new HashMap<>();
    String v = fields.get(key);
    if (v != null) {
      for (String part : v.split(",")) {
        int eq = part.indexOf('=');
        if (eq > 0) {
          out.put(part.substring(0, eq), part.substring(eq + 1));
        }
      }
    }
    return out;
  }

  Map<String, String> all() {
    return Map.copyOf(fields);
  }
}
