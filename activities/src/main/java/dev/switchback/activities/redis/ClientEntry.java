package dev.switchback.activities.redis;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of {@code CLIENT LIST}: {@code id=7 addr=... name=... age=.. idle=.. flags=N db=0
 * multi=-1 cmd=set user=default ...}.
 */
record ClientEntry(Map<String, String> fields) {

  static List<ClientEntry> parse(String reply) {
    List<ClientEntry> out = new ArrayList<>();
    for (String line : reply.split("\r?\n")) {
      if (line.isBlank()) {
        continue;
      }
      Map<String, String> f = new HashMap<>();
      for (String token : line.trim().split(" ")) {
        int eq = token.indexOf('=');
        if (eq > 0) {
          f.put(token.substring(0, eq), token.substring(eq + 1));
        }
      }
      out.add(new ClientEntry(Map.copyOf(f)));
    }
    return out;
  }

  String id() {
    return fields.getOrDefault("id", "?");
  }

  String name() {
    return fields.getOrDefault("name", "");
  }

  String user() {
    return fields.getOrDefault("user", "default");
  }

  String addr() {
    return fields.getOrDefault("addr", "");
  }

  String flags() {
    return fields.getOrDefault("flags", "");
  }

  /** The last command run (or the one waiting), {@code NULL} before the first. */
  String cmd() {
    return fields.getOrDefault("cmd", "NULL");
  }

  long idleSeconds() {
    return number("idle");
  }

  long queued() {
    return number("multi");
  }

  String db() {
    return fields.getOrDefault("db", "0");
  }

  /** The client library where the server reports it (7.2+), else empty. */
  String library() {
    return fields.getOrDefault("lib-name", "");
  }

  boolean flag(char c) {
    return flags().indexOf(c) >= 0;
  }

  /** A replica attached to this server (S) or, on a replica, the link to its master (M). */
  boolean replication() {
    return flag('S') || flag('M');
  }

  /** In MULTI: commands are queued until EXEC. */
  boolean inMulti() {
    return flag('x');
  }

  /** Blocked: in a blocking command, or a command held by CLIENT PAUSE. */
  boolean blocked() {
    return flag('b');
  }

  boolean own() {
    return name().startsWith(RedisEndpoint.OWN_NAME);
  }

  private long number(String key) {
    try {
      return Long.parseLong(fields.getOrDefault(key, "-1"));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
