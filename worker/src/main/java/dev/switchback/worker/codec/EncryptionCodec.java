package dev.switchback.worker.codec;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.temporal.api.common.v1.Payload;
import io.temporal.common.converter.EncodingKeys;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Encrypts every payload with AES-256-GCM under the current key of {@link PayloadKeys}, and
 * decrypts with whichever configured key the payload names.
 *
 * <p>An encrypted payload's data is a fresh random 12-byte nonce followed by the ciphertext and the
 * 16-byte tag of the whole original payload (its metadata and data, serialized), as Temporal's data
 * encryption guide recommends; its metadata is {@code encoding: binary/encrypted}, {@code
 * encryption-cipher: AES/GCM/NoPadding} and {@code encryption-key-id: <id>}, so a rotated key still
 * finds old payloads. A payload of any other encoding passes decode unchanged: histories written
 * before encryption was turned on still replay and read.
 */
public final class EncryptionCodec implements PayloadCodec {
  public static final String ENCODING = "binary/encrypted";
  public static final String KEY_ID = "encryption-key-id";
  public static final String CIPHER_KEY = "encryption-cipher";
  public static final String CIPHER = "AES/GCM/NoPadding";

  private static final ByteString ENCODING_BYTES = ByteString.copyFromUtf8(ENCODING);
  private static final ByteString CIPHER_BYTES = ByteString.copyFromUtf8(CIPHER);
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final PayloadKeys keys;
  private final SecureRandom random = new SecureRandom();

  public EncryptionCodec(PayloadKeys keys) {
    this.keys = keys;
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    if (!keys.enabled()) {
      return payloads;
    }
    List<Payload> encoded = new ArrayList<>(payloads.size());
    for (Payload p : payloads) {
      encoded.add(encrypt(p));
    }
    return encoded;
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    List<Payload> decoded = new ArrayList<>(payloads.size());
    for (Payload p : payloads) {
      decoded.add(
          ENCODING_BYTES.equals(p.getMetadataOrDefault(EncodingKeys.METADATA_ENCODING_KEY, null))
              ? decrypt(p)
              : p);
    }
    return decoded;
  }

  private Payload encrypt(Payload payload) {
    String id = keys.current();
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] sealed;
    try {
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.ENCRYPT_MODE, keys.key(id), new GCMParameterSpec(TAG_BITS, nonce));
      sealed = cipher.doFinal(payload.toByteArray());
    } catch (GeneralSecurityException e) {
      throw new PayloadCodecException("cannot encrypt a payload with key '" + id + "'", e);
    }
    return Payload.newBuilder()
        .putMetadata(EncodingKeys.METADATA_ENCODING_KEY, ENCODING_BYTES)
        .putMetadata(CIPHER_KEY, CIPHER_BYTES)
        .putMetadata(KEY_ID, ByteString.copyFromUtf8(id))
        .setData(
            ByteString.copyFrom(
                ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array()))
        .build();
  }

  private Payload decrypt(Payload payload) {
    ByteString idBytes = payload.getMetadataOrDefault(KEY_ID, null);
    if (idBytes == null) {
      throw new PayloadCodecException(
          "an encrypted payload names no key (metadata " + KEY_ID + " is missing)");
    }
    String id = idBytes.toStringUtf8();
    ByteString cipherName = payload.getMetadataOrDefault(CIPHER_KEY, CIPHER_BYTES);
    if (!CIPHER_BYTES.equals(cipherName)) {
      throw new PayloadCodecException(
          "a payload is encrypted with "
              + cipherName.toStringUtf8()
              + ", which Switchback does not read (it writes "
              + CIPHER
              + ")");
    }
    SecretKey key = keys.key(id);
    if (key == null) {
      throw new PayloadCodecException(
          "a payload is encrypted with key id '"
              + id
              + "', and "
              + (keys.enabled()
                  ? "this process has the keys " + new TreeSet<>(keys.ids())
                  : "this process has no payload keys")
              + ": add the key '"
              + id
              + "' ("
              + id
              + ".key in "
              + PayloadKeys.DIR_VARIABLE
              + ", or in "
              + PayloadKeys.KEYS_VARIABLE
              + "); keep every key as long as histories encrypted with it are kept");
    }
    byte[] data = payload.getData().toByteArray();
    if (data.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new PayloadCodecException(
          "an encrypted payload (key '" + id + "') is too short to hold a nonce and a tag");
    }
    try {
      Cipher cipher = Cipher.getInstance(CIPHER);
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, data, 0, NONCE_BYTES));
      return Payload.parseFrom(cipher.doFinal(data, NONCE_BYTES, data.length - NONCE_BYTES));
    } catch (AEADBadTagException e) {
      throw new PayloadCodecException(
          "a payload does not decrypt with the key '"
              + id
              + "' this process has: that key id holds other key material here than where the"
              + " payload was encrypted, or the payload was altered",
          e);
    } catch (GeneralSecurityException | InvalidProtocolBufferException e) {
      throw new PayloadCodecException(
          "cannot decrypt a payload with key '" + id + "': " + e.getMessage(), e);
    }
  }
}
