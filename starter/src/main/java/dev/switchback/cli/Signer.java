package dev.switchback.cli;

import dev.switchback.approval.Ed25519;
import dev.switchback.approval.SignedText;
import dev.switchback.messages.values.RequestSignature;
import java.nio.file.Path;
import java.security.PrivateKey;
import picocli.CommandLine.Option;

/**
 * {@code --key FILE}: signs a request with an approver's private key, for the run it is sent to.
 * The workflow checks the signature against the public key in the plan (docs/security.md).
 */
public final class Signer {
  @Option(
      names = "--key",
      paramLabel = "FILE",
      description =
          "Your private key (switchback keys generate): signs the request so the workflow can"
              + " verify it is yours.")
  Path key;

  boolean signs() {
    return key != null;
  }

  /** Reads the key first, so a bad key file is refused before anything is sent. */
  PrivateKey privateKey() {
    return key == null ? null : KeyFiles.read(key);
  }

  static RequestSignature sign(
      PrivateKey key,
      String action,
      String workflowId,
      Cutovers.Run run,
      String gate,
      String by,
      String text) {
    if (key == null) {
      return null;
    }
    long now = System.currentTimeMillis();
    String signed = SignedText.of(action, workflowId, run.signedRunId(), gate, by, now, text);
    return new RequestSignature(run.signedRunId(), now, Ed25519.sign(key, signed));
  }
}
