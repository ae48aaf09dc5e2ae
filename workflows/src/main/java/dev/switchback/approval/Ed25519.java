package dev.switchback.approval;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Ed25519 with the JDK alone (no provider to install, nothing outside the JVM): the workflow
 * verifies with it, so it must be pure computation, the same on every replay.
 */
public final class Ed25519 {
  public static final String ALGORITHM = "Ed25519";

  /** An Ed25519 signature is 64 bytes. */
  public static final int SIGNATURE_BYTES = 64;

  private Ed25519() {}

  /**
   * Loads and initialises the JDK's Ed25519 classes. The first use costs far more than the rest; a
   * worker calls this when it starts, so that cost never falls inside a workflow task (whose
   * deadlock detector allows a second).
   */
  public static void warmUp() {
    KeyPair pair = generate();
    String text = SignedText.of(SignedText.APPROVE, "warm-up", "warm-up", null, "warm-up", 0, null);
    verifies(publicKey(encode(pair.getPublic())), text, sign(pair.getPrivate(), text));
  }

  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + ALGORITHM, e);
    }
  }

  /** The form a plan holds: base64 of the X.509 SubjectPublicKeyInfo. */
  public static String encode(PublicKey key) {
    return Base64.getEncoder().encodeToString(key.getEncoded());
  }

  /**
   * The public key a plan holds.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static PublicKey publicKey(String base64) {
    if (base64 == null || base64.isBlank()) {
      throw new IllegalArgumentException("it is empty");
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("it is not base64 (" + e.getMessage() + ")");
    }
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (InvalidKeySpecException e) {
      throw new IllegalArgumentException(
          "it is not an Ed25519 public key (X.509 SubjectPublicKeyInfo)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + ALGORITHM, e);
    }
  }

  /** The signature of {@code text} (UTF-8), base64. */
  public static String sign(PrivateKey key, String text) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(text.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  /** Whether {@code signature} (base64) is {@code key}'s signature of {@code text}. */
  public static boolean verifies(PublicKey key, String text, String signature) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (bytes.length != SIGNATURE_BYTES) {
      return false;
    }
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(text.getBytes(StandardCharsets.UTF_8));
      return s.verify(bytes);
    } catch (InvalidKeyException | SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + ALGORITHM, e);
    }
  }
}
