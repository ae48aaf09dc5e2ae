package dev.switchback.cli;

import dev.switchback.codecserver.CodecServer;
import dev.switchback.codecserver.CodecTokens;
import dev.switchback.worker.codec.PayloadKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "codec-server",
    description = {
      "Serve the Temporal codec server protocol (POST .../encode, .../decode) with the worker's"
          + " payload keys, so the temporal CLI (--codec-endpoint) and the Temporal UI show"
          + " encrypted cutovers decoded to authorised users. Keys: SWITCHBACK_PAYLOAD_KEY_DIR or"
          + " SWITCHBACK_PAYLOAD_KEYS (and SWITCHBACK_PAYLOAD_KEY_ID), as on the worker.",
      "Every request needs a user's token (--tokens-file): Authorization: Bearer <token>, or a"
          + " browser signed in with user name and token. Runs until Ctrl-C."
    })
final class CodecServerCommand implements Callable<Integer> {
  /** A Temporal payload is at most 2 MB; the UI decodes many at once. */
  static final int MAX_BODY_BYTES = 32 * 1024 * 1024;

  @Option(
      names = "--host",
      defaultValue = "127.0.0.1",
      description =
          "Address to bind (default ${DEFAULT-VALUE}). Another address needs --tls-keystore, or"
              + " --allow-plain-http behind a TLS-terminating proxy.")
  String host;

  @Option(
      names = "--port",
      defaultValue = "8081",
      description = "Port to listen on (default ${DEFAULT-VALUE}; 0: any free port).")
  int port;

  @Option(
      names = "--tokens-file",
      paramLabel = "FILE",
      description =
          "The authorised users: one user:token line each (a token: openssl rand -hex 16).")
  Path tokensFile;

  @Option(
      names = "--allow-origin",
      paramLabel = "ORIGIN",
      description =
          "A browser origin allowed to call (the Temporal UI's, e.g. http://localhost:8080);"
              + " repeat for several. Requests from other origins are refused.")
  List<String> origins = new ArrayList<>();

  @Option(
      names = "--namespace",
      paramLabel = "NAME",
      description = "Serve only this namespace (X-Namespace); repeat for several. Default: any.")
  List<String> namespaces = new ArrayList<>();

  @Option(
      names = "--tls-keystore",
      paramLabel = "FILE",
      description = "Serve HTTPS with the key and certificate of this PKCS12 keystore.")
  Path tlsKeystore;

  @Option(
      names = "--tls-keystore-password-file",
      paramLabel = "FILE",
      description = "The file holding the keystore's password.")
  Path tlsPasswordFile;

  @Option(
      names = "--allow-plain-http",
      description =
          "Allow plain HTTP on a non-loopback address (only behind a proxy that terminates TLS).")
  boolean allowPlainHttp;

  @Mixin Output output;

  private final Map<String, String> env;
  private final Foreground foreground = new Foreground();

  CodecServerCommand() {
    this(System.getenv());
  }

  /** For tests: the payload keys from {@code env} instead of the process environment. */
  CodecServerCommand(Map<String, String> env) {
    this.env = env;
  }

  /** Ends {@link #call()} as Ctrl-C does. */
  void stop() {
    foreground.stop();
  }

  @Override
  public Integer call() throws InterruptedException {
    if (port < 0 || port > 65535) {
      throw CliException.badInput("--port " + port + " is not a port: use 1 to 65535, or 0");
    }
    if (tokensFile == null) {
      throw CliException.badInput(
          "--tokens-file is required: the codec server decrypts cutovers for authorised users"
              + " only; give a file of user:token lines (a token: openssl rand -hex 16)");
    }
    CodecTokens tokens;
    try {
      tokens = CodecTokens.read(tokensFile);
    } catch (IllegalArgumentException e) {
      throw CliException.badInput(e.getMessage());
    }
    PayloadKeys keys = ConnectionOptions.payloadKeys(env);
    if (!keys.enabled()) {
      throw CliException.badInput(
          "codec-server needs the payload keys the worker uses: set "
              + PayloadKeys.DIR_VARIABLE
              + " (or "
              + PayloadKeys.KEYS_VARIABLE
              + ") and "
              + PayloadKeys.CURRENT_VARIABLE
              + " as on the worker");
    }
    Set<String> allowed = new LinkedHashSet<>();
    for (String origin : origins) {
      allowed.add(checkedOrigin(origin));
    }
    SSLContext tls = tls();
    if (tls == null && !allowPlainHttp && !loopback(host)) {
      throw CliException.badInput(
          "--host "
              + host
              + " is not a loopback address: tokens and decrypted plans would cross the network"
              + " in plain HTTP; give --tls-keystore and --tls-keystore-password-file, or bind"
              + " to 127.0.0.1 behind a proxy that terminates TLS (--allow-plain-http if that"
              + " proxy must reach another address)");
    }
    CodecServer server;
    try {
      server =
          CodecServer.start(
              new CodecServer.Settings(
                  host, port, Set.copyOf(allowed), Set.copyOf(namespaces), tls, MAX_BODY_BYTES),
              keys,
              tokens);
    } catch (UncheckedIOException e) {
      throw new CliException(CliException.FAILURE, e.getMessage(), e);
    }
    foreground.serve(
        "switchback-codec-server-shutdown",
        server::close,
        () -> report(server.url(), keys, tokens, allowed));
    return 0;
  }

  private void report(String url, PayloadKeys keys, CodecTokens tokens, Set<String> allowed) {
    String endpoint = url + "/{namespace}";
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("address", url);
    json.put("codecEndpoint", endpoint);
    json.put("currentKey", keys.current());
    json.put("keys", keys.ids().stream().sorted().toList());
    json.put("users", tokens.users().stream().sorted().toList());
    json.put("allowedOrigins", allowed);
    json.put("namespaces", namespaces.isEmpty() ? List.of("any") : namespaces);
    output.object(json);
    output.line(
        "codec server on " + url + " for " + tokens.users().size() + " authorised users; " + keys);
    output.line(
        "  temporal CLI: temporal workflow show -w cutover-NAME --codec-endpoint '"
            + endpoint
            + "' --codec-auth 'Bearer <your token>'");
    output.line(
        allowed.isEmpty()
            ? "  Temporal UI: no origin allowed; restart with --allow-origin <the UI's origin>"
            : "  Temporal UI ("
                + String.join(", ", allowed)
                + "): codec endpoint "
                + endpoint
                + " with 'Include cross-origin credentials'; sign in once at "
                + url
                + "/ with your user name and token");
    output.line("Ctrl-C stops it.");
  }

  private SSLContext tls() {
    if (tlsKeystore == null && tlsPasswordFile == null) {
      return null;
    }
    if (tlsKeystore == null || tlsPasswordFile == null) {
      throw CliException.badInput(
          "--tls-keystore and --tls-keystore-password-file go together: give both");
    }
    try {
      char[] password = Files.readString(tlsPasswordFile).strip().toCharArray();
      KeyStore store = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(tlsKeystore)) {
        store.load(in, password);
      }
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw CliException.badInput(
          "--tls-keystore "
              + tlsKeystore
              + " cannot be loaded with the password in "
              + tlsPasswordFile
              + " ("
              + e.getMessage()
              + "): give a PKCS12 keystore with the server's key and certificate (openssl pkcs12"
              + " -export -in cert.pem -inkey key.pem -out codec.p12)");
    }
  }

  private static String checkedOrigin(String origin) {
    String problem =
        "--allow-origin '"
            + origin
            + "' is not an origin: write it as browsers send it, scheme://host[:port] without a"
            + " path (e.g. http://localhost:8080)";
    URI uri;
    try {
      uri = URI.create(origin);
    } catch (IllegalArgumentException e) {
      throw CliException.badInput(problem);
    }
    String scheme = uri.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme) || uri.getHost() == null) {
      throw CliException.badInput(problem);
    }
    String canonical =
        scheme + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    if (!canonical.equals(origin)) {
      throw CliException.badInput(problem);
    }
    return origin;
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw CliException.badInput("--host " + host + " is not an address of this machine");
    }
  }
}
