package dev.switchback.worker.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the worker, the CLI and the codec server read their payload keys, and the words they use when
 * a key is configured wrongly: each message names the setting and the fix, never the key.
 */
class PayloadKeysTest {
  @TempDir Path dir;

  static String newKey(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /** An environment whose secret scope is elsewhere, so the keys are outside it. */
  private Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    env.put("SWITCHBACK_SCOPE_DIRS", "/nonexistent-switchback-scope");
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  private Path keyDir(String... idsAndKeys) throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys"));
    for (int i = 0; i < idsAndKeys.length; i += 2) {
      Files.writeString(keys.resolve(idsAndKeys[i] + ".key"), idsAndKeys[i + 1] + "\n");
    }
    return keys;
  }

  private IllegalArgumentException refused(Map<String, String> env) {
    return assertThrows(IllegalArgumentException.class, () -> PayloadKeys.fromEnvironment(env));
  }

  @Test
  void withoutAnySettingEncryptionIsOff() {
    PayloadKeys keys = PayloadKeys.fromEnvironment(env());
    assertFalse(keys.enabled());
    assertEquals(Set.of(), keys.ids());
  }

  @Test
  void theOnlyKeyOfTheDirectoryEncodes() throws Exception {
    Path keys = keyDir("2026-12", newKey(32));
    Files.writeString(keys.resolve("README"), "not a key");
    PayloadKeys loaded =
        PayloadKeys.fromEnvironment(env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString()));
    assertTrue(loaded.enabled());
    assertEquals("2026-12", loaded.current());
    assertEquals(Set.of("2026-12"), loaded.ids());
  }

  @Test
  void severalKeysNeedTheCurrentIdNamed() throws Exception {
    Path keys = keyDir("2026-06", newKey(32), "2026-12", newKey(32));
    IllegalArgumentException e = refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString()));
    assertTrue(e.getMessage().contains("SWITCHBACK_PAYLOAD_KEY_ID"), e.getMessage());
    assertTrue(e.getMessage().contains("2026-06, 2026-12"), e.getMessage());

    PayloadKeys loaded =
        PayloadKeys.fromEnvironment(
            env(
                "SWITCHBACK_PAYLOAD_KEY_DIR",
                keys.toString(),
                "SWITCHBACK_PAYLOAD_KEY_ID",
                "2026-12"));
    assertEquals("2026-12", loaded.current());
    assertEquals(Set.of("2026-06", "2026-12"), loaded.ids());
  }

  @Test
  void aKeyOfTheWrongLengthIsRefusedNamingTheFileAndTheFix() throws Exception {
    String shortKey = newKey(16);
    Path keys = keyDir("lab", shortKey);
    IllegalArgumentException e = refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString()));
    String m = e.getMessage();
    assertTrue(m.startsWith("SWITCHBACK_PAYLOAD_KEY_DIR: "), m);
    assertTrue(m.contains(keys.resolve("lab.key").toString()), m);
    assertTrue(m.contains("16 bytes"), m);
    assertTrue(m.contains("exactly 32"), m);
    assertTrue(m.contains("openssl rand -base64 32"), m);
    assertFalse(m.contains(shortKey), "the message never shows the key: " + m);
  }

  @Test
  void aKeyThatIsNotBase64IsRefused() throws Exception {
    Path keys = keyDir("lab", "this is not base64!");
    IllegalArgumentException e = refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString()));
    assertTrue(e.getMessage().contains("is not base64"), e.getMessage());
    assertTrue(e.getMessage().contains("openssl rand -base64 32"), e.getMessage());
  }

  @Test
  void anUnreadableKeyFileIsRefusedNamingIt() throws Exception {
    Path keys = keyDir();
    // Tests run as root, who reads any file: a dangling link is a key file nobody can read.
    Files.createSymbolicLink(keys.resolve("gone.key"), dir.resolve("nowhere"));
    IllegalArgumentException e = refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString()));
    assertTrue(e.getMessage().contains("cannot read key file"), e.getMessage());
    assertTrue(e.getMessage().contains(keys.resolve("gone.key").toString()), e.getMessage());
  }

  @Test
  void aMissingOrEmptyDirectoryIsRefused() throws Exception {
    IllegalArgumentException missing =
        refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", dir.resolve("absent").toString()));
    assertTrue(missing.getMessage().contains("is not a directory"), missing.getMessage());

    IllegalArgumentException empty =
        refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keyDir().toString()));
    assertTrue(empty.getMessage().contains("holds no *.key file"), empty.getMessage());
  }

  @Test
  void keysFromTheEnvironmentWithRotation() {
    PayloadKeys loaded =
        PayloadKeys.fromEnvironment(
            env(
                "SWITCHBACK_PAYLOAD_KEYS",
                "old:" + newKey(32) + ", new:" + newKey(32),
                "SWITCHBACK_PAYLOAD_KEY_ID",
                "new"));
    assertEquals("new", loaded.current());
    assertEquals(Set.of("old", "new"), loaded.ids());
  }

  @Test
  void aMalformedEnvironmentEntryIsRefusedWithoutShowingIt() {
    String secret = newKey(32);
    IllegalArgumentException e =
        refused(env("SWITCHBACK_PAYLOAD_KEYS", "good:" + newKey(32) + "," + secret));
    assertTrue(e.getMessage().startsWith("SWITCHBACK_PAYLOAD_KEYS: entry 2"), e.getMessage());
    assertTrue(e.getMessage().contains("id:base64"), e.getMessage());
    assertFalse(e.getMessage().contains(secret), e.getMessage());
  }

  @Test
  void theCurrentIdMustNameAConfiguredKey() {
    IllegalArgumentException unknown =
        refused(
            env("SWITCHBACK_PAYLOAD_KEYS", "a:" + newKey(32), "SWITCHBACK_PAYLOAD_KEY_ID", "b"));
    assertTrue(
        unknown.getMessage().contains("SWITCHBACK_PAYLOAD_KEY_ID=b names no configured key"),
        unknown.getMessage());

    IllegalArgumentException none = refused(env("SWITCHBACK_PAYLOAD_KEY_ID", "b"));
    assertTrue(none.getMessage().contains("no payload key is configured"), none.getMessage());
  }

  @Test
  void aKeyIdConfiguredTwiceIsRefused() throws Exception {
    Path keys = keyDir("a", newKey(32));
    IllegalArgumentException e =
        refused(
            env(
                "SWITCHBACK_PAYLOAD_KEY_DIR",
                keys.toString(),
                "SWITCHBACK_PAYLOAD_KEYS",
                "a:" + newKey(32)));
    assertTrue(e.getMessage().contains("key id 'a' is configured twice"), e.getMessage());
  }

  @Test
  void keysInsideTheSecretScopeAreRefused() throws Exception {
    // A plan could name file:<key> or env:SWITCHBACK_PAYLOAD_KEYS as a secret and send it away.
    Path keys = keyDir("a", newKey(32));
    Map<String, String> inScopeDir = env("SWITCHBACK_PAYLOAD_KEY_DIR", keys.toString());
    inScopeDir.put("SWITCHBACK_SCOPE_DIRS", dir.toString());
    IllegalArgumentException e = refused(inScopeDir);
    assertTrue(e.getMessage().contains("inside the secret scope"), e.getMessage());
    assertTrue(e.getMessage().contains("SWITCHBACK_SCOPE_DIRS"), e.getMessage());

    Map<String, String> inScopeEnv = env("SWITCHBACK_PAYLOAD_KEYS", "a:" + newKey(32));
    inScopeEnv.put("SWITCHBACK_SCOPE_ENV_PREFIX", "SWITCHBACK_");
    IllegalArgumentException p = refused(inScopeEnv);
    assertTrue(p.getMessage().contains("inside the secret scope"), p.getMessage());
    assertTrue(p.getMessage().contains("SWITCHBACK_SCOPE_ENV_PREFIX"), p.getMessage());
  }

  @Test
  void anInvalidKeyIdIsRefused() throws Exception {
    IllegalArgumentException file =
        refused(env("SWITCHBACK_PAYLOAD_KEY_DIR", keyDir("bad id", newKey(32)).toString()));
    assertTrue(file.getMessage().contains("'bad id' is not a key id"), file.getMessage());

    // In the environment the id is not quoted: a key written before its id would be shown.
    String key = newKey(32);
    IllegalArgumentException inline = refused(env("SWITCHBACK_PAYLOAD_KEYS", key + ":2026"));
    assertTrue(
        inline.getMessage().contains("entry 1 does not start with a key id"), inline.getMessage());
    assertFalse(inline.getMessage().contains(key), inline.getMessage());
  }

  @Test
  void describingTheKeysNeverShowsThem() {
    String a = newKey(32);
    PayloadKeys loaded = PayloadKeys.fromEnvironment(env("SWITCHBACK_PAYLOAD_KEYS", "a:" + a));
    for (String text : List.of(loaded.toString())) {
      assertFalse(text.contains(a), text);
      assertTrue(text.contains("a"), text);
    }
  }
}
