package dev.switchback.worker.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EncryptionCodecTest {
  private static final String PLAN =
      "{\"name\":\"ledger\",\"source\":{\"url\":\"jdbc:postgresql://pg-src.codec.test:5432/db\"}}";

  static byte[] material() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return b;
  }

  static PayloadKeys keys(String current, Object... idsAndMaterial) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (int i = 0; i < idsAndMaterial.length; i += 2) {
      m.put((String) idsAndMaterial[i], (byte[]) idsAndMaterial[i + 1]);
    }
    return PayloadKeys.of(m, current);
  }

  static Payload json(String text) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(text))
        .build();
  }

  private static String meta(Payload p, String key) {
    return p.getMetadataOrDefault(key, ByteString.EMPTY).toStringUtf8();
  }

  @Test
  void anEncodedPayloadNamesItsEncodingAndKeyAndHoldsNoPlainText() {
    EncryptionCodec codec = new EncryptionCodec(keys("k1", "k1", material()));
    Payload plain = json(PLAN);

    Payload encoded = codec.encode(List.of(plain)).get(0);

    assertEquals("binary/encrypted", meta(encoded, "encoding"));
    assertEquals("k1", meta(encoded, "encryption-key-id"));
    assertEquals("AES/GCM/NoPadding", meta(encoded, "encryption-cipher"));
    String data = new String(encoded.getData().toByteArray(), StandardCharsets.ISO_8859_1);
    assertFalse(data.contains("pg-src.codec.test"), "the plan is in the ciphertext in clear");
    assertFalse(data.contains("json/plain"), "the inner metadata is encrypted too");
    // 12-byte nonce + ciphertext of the serialized payload + 16-byte tag
    assertEquals(12 + plain.toByteArray().length + 16, encoded.getData().size());
    assertEquals(plain, codec.decode(List.of(encoded)).get(0));
  }

  @Test
  void everyEncodingTakesAFreshNonce() {
    EncryptionCodec codec = new EncryptionCodec(keys("k1", "k1", material()));
    Payload plain = json(PLAN);
    byte[] a = codec.encode(List.of(plain)).get(0).getData().toByteArray();
    byte[] b = codec.encode(List.of(plain)).get(0).getData().toByteArray();
    assertNotEquals(ByteString.copyFrom(a), ByteString.copyFrom(b));
    assertFalse(Arrays.equals(Arrays.copyOf(a, 12), Arrays.copyOf(b, 12)), "the nonce was reused");
  }

  @Test
  void unencryptedPayloadsPassThroughDecodeUnchanged() {
    EncryptionCodec codec = new EncryptionCodec(keys("k1", "k1", material()));
    Payload plain = json(PLAN);
    Payload nullPayload =
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("binary/null"))
            .build();
    List<Payload> decoded = codec.decode(List.of(plain, nullPayload));
    assertSame(plain, decoded.get(0));
    assertSame(nullPayload, decoded.get(1));
  }

  @Test
  void anUnknownKeyIdFailsNamingTheIdAndTheSettings() {
    Payload encoded =
        new EncryptionCodec(keys("old", "old", material())).encode(List.of(json(PLAN))).get(0);
    EncryptionCodec other = new EncryptionCodec(keys("new", "new", material()));

    PayloadCodecException e =
        assertThrows(PayloadCodecException.class, () -> other.decode(List.of(encoded)));
    String m = e.getMessage();
    assertTrue(m.contains("key id 'old'"), m);
    assertTrue(m.contains("this process has the keys [new]"), m);
    assertTrue(m.contains("SWITCHBACK_PAYLOAD_KEY_DIR"), m);
    assertTrue(m.contains("SWITCHBACK_PAYLOAD_KEYS"), m);
  }

  @Test
  void afterRotationOldPayloadsDecodeAndNewOnesUseTheNewKey() {
    byte[] old = material();
    Payload before =
        new EncryptionCodec(keys("old", "old", old)).encode(List.of(json(PLAN))).get(0);

    EncryptionCodec rotated = new EncryptionCodec(keys("new", "old", old, "new", material()));

    assertEquals(json(PLAN), rotated.decode(List.of(before)).get(0));
    Payload after = rotated.encode(List.of(json(PLAN))).get(0);
    assertEquals("new", meta(after, "encryption-key-id"));
    assertEquals(json(PLAN), rotated.decode(List.of(after)).get(0));
  }

  @Test
  void theSameKeyIdWithOtherMaterialFailsClearly() {
    Payload encoded =
        new EncryptionCodec(keys("k1", "k1", material())).encode(List.of(json(PLAN))).get(0);
    EncryptionCodec wrong = new EncryptionCodec(keys("k1", "k1", material()));
    PayloadCodecException e =
        assertThrows(PayloadCodecException.class, () -> wrong.decode(List.of(encoded)));
    assertTrue(e.getMessage().contains("does not decrypt with the key 'k1'"), e.getMessage());
  }

  @Test
  void withoutKeysNothingIsEncryptedAndEncryptedPayloadsFailNamingTheSettings() {
    Payload encoded =
        new EncryptionCodec(keys("k1", "k1", material())).encode(List.of(json(PLAN))).get(0);
    EncryptionCodec off = new EncryptionCodec(PayloadKeys.none());

    Payload plain = json(PLAN);
    assertSame(plain, off.encode(List.of(plain)).get(0));
    PayloadCodecException e =
        assertThrows(PayloadCodecException.class, () -> off.decode(List.of(encoded)));
    assertTrue(e.getMessage().contains("key id 'k1'"), e.getMessage());
    assertTrue(e.getMessage().contains("this process has no payload keys"), e.getMessage());
  }

  @Test
  void theKeyMaterialIsCopiedNotShared() {
    byte[] m = material();
    EncryptionCodec codec = new EncryptionCodec(keys("k1", "k1", m));
    Payload encoded = codec.encode(List.of(json(PLAN))).get(0);
    Arrays.fill(m, (byte) 0);
    assertEquals(json(PLAN), codec.decode(List.of(encoded)).get(0));
  }
}
