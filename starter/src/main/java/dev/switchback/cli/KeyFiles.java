package dev.switchback.cli;

import dev.switchback.approval.Ed25519;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Set;

/**
 * An approver's private key on disk: PKCS#8 in PEM ({@code -----BEGIN PRIVATE KEY-----}), the form
 * {@code openssl genpkey -algorithm ed25519} writes, readable by its owner only.
 */
final class KeyFiles {
  private static final String BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String END = "-----END PRIVATE KEY-----";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private KeyFiles() {}

  /**
   * Writes {@code key} to {@code file}, created with mode 0600 (never readable by others, not even
   * for a moment).
   *
   * @throws CliException exit 2 when the file exists and {@code replace} is false
   */
  static void write(Path file, PrivateKey key, boolean replace) {
    String pem =
        BEGIN
            + "\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
            + "\n"
            + END
            + "\n";
    try {
      if (replace) {
        Files.deleteIfExists(file);
      }
      if (Files.getFileStore(file.toAbsolutePath().getParent())
          .supportsFileAttributeView("posix")) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
    } catch (FileAlreadyExistsException e) {
      throw CliException.badInput(
          "--out "
              + file
              + " already exists (fix: choose another file, or add --force to replace that key;"
              + " its public key in plans then stops working)");
    } catch (IOException e) {
      throw new CliException(
          CliException.FAILURE, "cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The private key in {@code file}.
   *
   * @throws CliException exit 2 when the file is missing, readable by others, or not an Ed25519
   *     private key in PEM
   */
  static PrivateKey read(Path file) {
    String text;
    try {
      if (Files.getFileAttributeView(file, java.nio.file.attribute.PosixFileAttributeView.class)
              != null
          && !OWNER_ONLY.containsAll(Files.getPosixFilePermissions(file))) {
        throw CliException.badInput(
            "--key "
                + file
                + " is readable by others ("
                + PosixFilePermissions.toString(Files.getPosixFilePermissions(file))
                + "): whoever can read it can approve as you (fix: chmod 600 "
                + file
                + ")");
      }
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw CliException.badInput(
          "--key " + file + ": no such file (fix: the private key switchback keys generate wrote)");
    } catch (IOException e) {
      throw CliException.badInput("--key " + file + " cannot be read: " + e.getMessage());
    }
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    if (begin < 0 || end < begin) {
      throw notAKey(file, "no " + BEGIN + " block");
    }
    try {
      byte[] der =
          Base64.getMimeDecoder().decode(text.substring(begin + BEGIN.length(), end).strip());
      return KeyFactory.getInstance(Ed25519.ALGORITHM)
          .generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw notAKey(file, "not an Ed25519 private key in PKCS#8");
    }
  }

  private static CliException notAKey(Path file, String why) {
    return CliException.badInput(
        "--key "
            + file
            + ": "
            + why
            + " (fix: give the file switchback keys generate wrote, or one from openssl genpkey"
            + " -algorithm ed25519)");
  }
}
