package dev.switchback.worker.codec;

import dev.switchback.activities.support.SecretScope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys that encrypt workflow payloads, by key id, and the id of the one that encrypts
 * new payloads (every key decrypts). Read by the worker, the CLI and the codec server from their
 * environment, the same settings everywhere:
 *
 * <ul>
 *   <li>{@value #DIR_VARIABLE}: a directory where each {@code <key id>.key} file holds 32 random
 *       bytes in base64 ({@code openssl rand -base64 32}); other files are ignored.
 *   <li>{@value #KEYS_VARIABLE}: keys in the environment, {@code <key id>:<base64>[,...]}.
 *   <li>{@value #CURRENT_VARIABLE}: the key id that encrypts; needed when several keys are given.
 * </ul>
 *
 * <p>Without any key, encryption is off. The keys are the worker's own credentials, so they must
 * lie outside its {@link SecretScope}: a plan that could name them ({@code file:/...},{@code
 * env:...}) could have them sent to a server of its author's.
 */
public final class PayloadKeys {
  public static final String DIR_VARIABLE = "SWITCHBACK_PAYLOAD_KEY_DIR";
  public static final String KEYS_VARIABLE = "SWITCHBACK_PAYLOAD_KEYS";
  public static final String CURRENT_VARIABLE = "SWITCHBACK_PAYLOAD_KEY_ID";
  public static final int KEY_BYTES = 32;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final String NEW_KEY = "openssl rand -base64 32";

  private final Map<String, SecretKey> keys;
  private final String current;

  private PayloadKeys(Map<String, SecretKey> keys, String current) {
    this.keys = keys;
    this.current = current;
  }

  /** No keys: nothing is encrypted, and an encrypted payload cannot be read. */
  public static PayloadKeys none() {
    return new PayloadKeys(Map.of(), null);
  }

  /**
   * Keys by id (the material is copied).
   *
   * @param current the id that encrypts; null when there is exactly one key
   * @throws IllegalArgumentException naming the setting when an id or a key is wrong
   */
  public static PayloadKeys of(Map<String, byte[]> material, String current) {
    Map<String, SecretKey> keys = new LinkedHashMap<>();
    material.forEach(
        (id, bytes) -> {
          checkId(id, KEYS_VARIABLE);
          if (bytes.length != KEY_BYTES) {
            throw new IllegalArgumentException(
                KEYS_VARIABLE + ": key '" + id + "' " + wrongLength(bytes.length));
          }
          keys.put(id, new SecretKeySpec(bytes.clone(), "AES"));
        });
    if (keys.isEmpty()) {
      if (current != null) {
        throw new IllegalArgumentException(
            CURRENT_VARIABLE
                + "="
                + current
                + " is set but no payload key is configured: give the keys in "
                + DIR_VARIABLE
                + " or "
                + KEYS_VARIABLE
                + ", or unset "
                + CURRENT_VARIABLE);
      }
      return none();
    }
    String encrypting = current;
    if (encrypting == null) {
      if (keys.size() > 1) {
        throw new IllegalArgumentException(
            "several payload keys are configured ("
                + String.join(", ", keys.keySet())
                + "): set "
                + CURRENT_VARIABLE
                + " to the one that encrypts new payloads (the others still decrypt)");
      }
      encrypting = keys.keySet().iterator().next();
    } else if (!keys.containsKey(encrypting)) {
      throw new IllegalArgumentException(
          CURRENT_VARIABLE
              + "="
              + encrypting
              + " names no configured key (configured: "
              + String.join(", ", keys.keySet())
              + "): add "
              + encrypting
              + ".key to "
              + DIR_VARIABLE
              + " or name one of those");
    }
    return new PayloadKeys(Map.copyOf(keys), encrypting);
  }

  /**
   * The keys {@code env} configures.
   *
   * @throws IllegalArgumentException naming the setting and the fix when a key is configured
   *     wrongly (never quoting the key)
   */
  public static PayloadKeys fromEnvironment(Map<String, String> env) {
    String dir = setting(env, DIR_VARIABLE);
    String inline = setting(env, KEYS_VARIABLE);
    return fromEnvironment(
        env, dir == null && inline == null ? null : SecretScope.fromEnvironment(env));
  }

  /**
   * As {@link #fromEnvironment(Map)}, checked against {@code scope} (the demo's worker has a scope
   * of its own).
   */
  public static PayloadKeys fromEnvironment(Map<String, String> env, SecretScope scope) {
    String dir = setting(env, DIR_VARIABLE);
    String inline = setting(env, KEYS_VARIABLE);
    String current = setting(env, CURRENT_VARIABLE);
    if (dir == null && inline == null) {
      return of(Map.of(), current);
    }
    Map<String, byte[]> material = new LinkedHashMap<>();
    if (dir != null) {
      readDirectory(Path.of(dir), scope, material);
    }
    if (inline != null) {
      if (scope.allows("env:" + KEYS_VARIABLE)) {
        throw new IllegalArgumentException(
            KEYS_VARIABLE
                + " is inside the secret scope ("
                + SecretScope.PREFIX_VARIABLE
                + "): a plan could name env:"
                + KEYS_VARIABLE
                + " and have the keys sent anywhere; set a prefix that does not match it (the"
                + " default is "
                + SecretScope.DEFAULT_PREFIX
                + ") or give the keys in "
                + DIR_VARIABLE);
      }
      parseInline(inline, material);
    }
    return of(material, current);
  }

  /** True when payloads are encrypted. */
  public boolean enabled() {
    return !keys.isEmpty();
  }

  /** The id of the key that encrypts, or null when encryption is off. */
  public String current() {
    return current;
  }

  /** Every configured key id. */
  public Set<String> ids() {
    return keys.keySet();
  }

  /** The key with {@code id}, or null. */
  SecretKey key(String id) {
    return keys.get(id);
  }

  /** For logs: which key encrypts and which decrypt, never key material. */
  @Override
  public String toString() {
    if (!enabled()) {
      return "payload encryption off (no " + DIR_VARIABLE + " or " + KEYS_VARIABLE + ")";
    }
    return "payload encryption on: new payloads with key "
        + current
        + ", keys that decrypt: "
        + String.join(", ", keys.keySet().stream().sorted().toList());
  }

  private static void readDirectory(Path dir, SecretScope scope, Map<String, byte[]> material) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          DIR_VARIABLE
              + "="
              + dir
              + " is not a directory: create it with one <key id>.key file per key ("
              + NEW_KEY
              + " > "
              + dir.resolve("<key id>.key")
              + "), or unset "
              + DIR_VARIABLE);
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(dir)) {
      list.filter(p -> p.getFileName().toString().endsWith(".key"))
          // Kubernetes keeps a secret's versions in hidden directories beside the files.
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .forEach(files::add);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          DIR_VARIABLE + ": cannot list " + dir + " (" + e.getClass().getSimpleName() + ")", e);
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(
          DIR_VARIABLE
              + "="
              + dir
              + " holds no *.key file: write one with "
              + NEW_KEY
              + " > "
              + dir.resolve("<key id>.key"));
    }
    for (Path file : files) {
      Path absolute = file.toAbsolutePath();
      if (scope.allows("file:" + absolute)) {
        throw new IllegalArgumentException(
            DIR_VARIABLE
                + ": "
                + absolute
                + " is inside the secret scope ("
                + SecretScope.DIRS_VARIABLE
                + "): a plan could name file:"
                + absolute
                + " and have the key sent anywhere; keep the payload keys in a directory outside"
                + " the scope");
      }
      String name = file.getFileName().toString();
      String id = name.substring(0, name.length() - ".key".length());
      checkId(id, DIR_VARIABLE);
      String text;
      try {
        text = Files.readString(file, StandardCharsets.US_ASCII).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            DIR_VARIABLE
                + ": cannot read key file "
                + absolute
                + " ("
                + e.getClass().getSimpleName()
                + "): let the process' user read it (e.g. mode 0440, owned by its group) or"
                + " remove it",
            e);
      }
      byte[] bytes = decode(text, DIR_VARIABLE + ": key file " + absolute, absolute.toString());
      put(material, id, bytes, DIR_VARIABLE);
    }
  }

  private static void parseInline(String inline, Map<String, byte[]> material) {
    String[] entries = inline.split(",");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      int colon = entry.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(
            KEYS_VARIABLE
                + ": entry "
                + (i + 1)
                + " is not id:base64; write e.g. "
                + KEYS_VARIABLE
                + "=2026-12:$("
                + NEW_KEY
                + ")");
      }
      String id = entry.substring(0, colon).strip();
      if (!ID.matcher(id).matches()) {
        // Not quoted: a key written before its id would be shown.
        throw new IllegalArgumentException(
            KEYS_VARIABLE
                + ": entry "
                + (i + 1)
                + " does not start with a key id: use letters, digits, '.', '_' and '-' (up to"
                + " 64) before the ':', e.g. 2026-12:<base64>");
      }
      byte[] bytes =
          decode(entry.substring(colon + 1).strip(), KEYS_VARIABLE + ": key '" + id + "'", null);
      put(material, id, bytes, KEYS_VARIABLE);
    }
  }

  private static byte[] decode(String base64, String what, String file) {
    String fix = "write a new key with " + NEW_KEY + (file == null ? "" : " > " + file);
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not base64: " + fix);
    }
    if (bytes.length != KEY_BYTES) {
      throw new IllegalArgumentException(what + " " + wrongLength(bytes.length) + ": " + fix);
    }
    return bytes;
  }

  private static String wrongLength(int length) {
    return "holds " + length + " bytes; AES-256 needs exactly " + KEY_BYTES;
  }

  private static void put(Map<String, byte[]> material, String id, byte[] bytes, String where) {
    if (material.putIfAbsent(id, bytes) != null) {
      throw new IllegalArgumentException(
          where
              + ": key id '"
              + id
              + "' is configured twice (in "
              + DIR_VARIABLE
              + " and "
              + KEYS_VARIABLE
              + "): keep one");
    }
  }

  private static void checkId(String id, String setting) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          setting
              + ": '"
              + id
              + "' is not a key id: use letters, digits, '.', '_' and '-' (up to 64), e.g."
              + " 2026-12");
    }
  }

  private static String setting(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.strip();
  }
}
