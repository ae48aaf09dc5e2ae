package dev.switchback.activities.redis;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.CommandInfo;

/**
 * Which commands write, by the server's own classification ({@code COMMAND} flags {@code write}),
 * cached per server: modules and newer versions add write commands that no list of ours would know.
 */
final class WriteCommands {
  /**
   * Commands without the write flag that may still write: EXEC runs a queued transaction, scripts
   * and functions call write commands inside. The read-only variants (EVAL_RO, FCALL_RO) cannot.
   */
  private static final Set<String> MAY_WRITE = Set.of("exec", "eval", "evalsha", "fcall");

  private final Map<String, Set<String>> byServer = new ConcurrentHashMap<>();

  /** The write commands of the server {@code jedis} is connected to ({@code address}). */
  Set<String> of(String address, Jedis jedis) {
    return byServer.computeIfAbsent(address, a -> load(jedis));
  }

  /** Whether {@code cmd} (as CLIENT LIST shows it, {@code set} or {@code xgroup|create}) writes. */
  static boolean writes(Set<String> writeCommands, String cmd) {
    String c = cmd.toLowerCase();
    return writeCommands.contains(c) || MAY_WRITE.contains(c);
  }

  private static Set<String> load(Jedis jedis) {
    Set<String> out = new HashSet<>();
    for (Map.Entry<String, CommandInfo> e : jedis.command().entrySet()) {
      add(out, e.getKey(), e.getValue());
    }
    return Set.copyOf(out);
  }

  private static void add(Set<String> out, String name, CommandInfo info) {
    if (info.getFlags().stream().anyMatch(f -> f.equalsIgnoreCase("write"))) {
      out.add(name.toLowerCase());
    }
    if (info.getSubcommands() != null) {
      for (Map.Entry<String, CommandInfo> sub : info.getSubcommands().entrySet()) {
        add(out, sub.getKey(), sub.getValue());
      }
    }
  }
}
