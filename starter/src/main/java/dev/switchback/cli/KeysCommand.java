package dev.switchback.cli;

import dev.switchback.approval.Ed25519;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "keys",
    description = "Approvers' signing keys (Ed25519).",
    subcommands = {KeysCommand.Generate.class, HelpCommand.class})
final class KeysCommand {

  @Command(
      name = "generate",
      description = {
        "Make an approver's key pair: the private key goes to --out (PKCS#8 PEM, mode 0600; keep"
            + " it to yourself, never in git or a plan), the public key is printed for the plan's"
            + " approvers: [{name: NAME, publicKey: ...}].",
        "Approve with: switchback approve GATE --by NAME --key FILE"
      })
  static final class Generate implements Callable<Integer> {
    @Option(
        names = "--out",
        required = true,
        paramLabel = "FILE",
        description = "Where to write the private key; refused if it exists (see --force).")
    Path out;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "The approver's name, for the printed plan line (default: NAME).")
    String name;

    @Option(names = "--force", description = "Replace an existing key file.")
    boolean force;

    @Mixin Output output;

    @Override
    public Integer call() {
      KeyPair pair = Ed25519.generate();
      KeyFiles.write(out, pair.getPrivate(), force);
      String publicKey = Ed25519.encode(pair.getPublic());
      String who = name == null || name.isBlank() ? "NAME" : name;
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("privateKeyFile", out.toString());
      json.put("publicKey", publicKey);
      json.put("approver", Map.of("name", who, "publicKey", publicKey));
      output.object(json);
      output.line("private key written to " + out + " (mode 0600; keep it to yourself)");
      output.line("public key, for the plan:");
      output.line("  approvers:");
      output.line("    - name: " + who);
      output.line("      publicKey: " + publicKey);
      return 0;
    }
  }
}
