package dev.switchback.activities.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which secret references plans may use on this worker, set by the worker's operator and never by a
 * plan: environment variables only with a prefix, files only under directories, and optionally, per
 * reference, the only endpoints ({@code host:port}) its value may be sent to. Whoever can start a
 * workflow writes the plan; without a scope such a person could name any variable or file of the
 * worker ({@code file:/proc/self/environ}) and have it sent to a server of theirs.
 *
 * <p>Read from the worker's environment at start: {@value #PREFIX_VARIABLE} (default {@value
 * #DEFAULT_PREFIX}), {@value #DIRS_VARIABLE} (directories separated by {@code :}, default {@value
 * #DEFAULT_DIR}) and {@value #BINDINGS_VARIABLE} ({@code reference=host:port,host:port;...}).
 */
public final class SecretScope {
  public static final String PREFIX_VARIABLE = "SWITCHBACK_SCOPE_ENV_PREFIX";
  public static final String DIRS_VARIABLE = "SWITCHBACK_SCOPE_DIRS";
  public static final String BINDINGS_VARIABLE = "SWITCHBACK_SCOPE_BINDINGS";
  public static final String DEFAULT_PREFIX = "SWITCHBACK_SECRET_";
  public static final String DEFAULT_DIR = "/run/secrets/switchback";

  private final String prefix;
  private final List<Path> directories;
  private final Map<String, Set<String>> bindings;

  private SecretScope(String prefix, List<Path> directories, Map<String, Set<String>> bindings) {
    this.prefix = prefix;
    this.directories = directories;
    this.bindings = bindings;
  }

  /**
   * A scope.
   *
   * @param prefix what every {@code env:} name must start with; null allows no variable at all
   * @param directories where {@code file:} references may point (after symlinks and {@code ..})
   * @param bindings per reference, the {@code host:port} endpoints its value may be sent to
   */
  public static SecretScope of(
      String prefix, List<Path> directories, Map<String, Set<String>> bindings) {
    if (prefix != null && prefix.isEmpty()) {
      throw new IllegalArgumentException(
          PREFIX_VARIABLE
              + " is empty, which would let plans read every environment variable of the worker:"
              + " set a prefix such as "
              + DEFAULT_PREFIX);
    }
    List<Path> dirs = new ArrayList<>();
    for (Path d : directories) {
      if (!d.isAbsolute()) {
        throw new IllegalArgumentException(
            DIRS_VARIABLE + ": '" + d + "' is not an absolute path; write e.g. " + DEFAULT_DIR);
      }
      dirs.add(real(d));
    }
    Map<String, Set<String>> bound = new HashMap<>();
    bindings.forEach(
        (ref, endpoints) -> {
          Set<String> normalized = new LinkedHashSet<>();
          for (String e : endpoints) {
            if (!e.matches("[^:\\s]+:[0-9]{1,5}")) {
              throw new IllegalArgumentException(
                  BINDINGS_VARIABLE
                      + ": '"
                      + e
                      + "' (for "
                      + ref
                      + ") is not host:port; write e.g. "
                      + ref
                      + "=db.internal:5432");
            }
            normalized.add(e.toLowerCase(Locale.ROOT));
          }
          bound.put(ref, Set.copyOf(normalized));
        });
    return new SecretScope(prefix, List.copyOf(dirs), Map.copyOf(bound));
  }

  /**
   * The scope the worker's {@code env} sets.
   *
   * @throws IllegalArgumentException naming the variable when a setting is malformed
   */
  public static SecretScope fromEnvironment(Map<String, String> env) {
    String prefix = env.getOrDefault(PREFIX_VARIABLE, DEFAULT_PREFIX);
    String dirs = env.getOrDefault(DIRS_VARIABLE, DEFAULT_DIR);
    List<Path> directories = new ArrayList<>();
    for (String d : dirs.split(":")) {
      if (!d.isBlank()) {
        directories.add(Path.of(d.strip()));
      }
    }
    Map<String, Set<String>> bindings = new HashMap<>();
    String spec = env.getOrDefault(BINDINGS_VARIABLE, "");
    for (String entry : spec.split(";")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            BINDINGS_VARIABLE
                + ": '"
                + entry.strip()
                + "' is not reference=host:port[,host:port]; write e.g."
                + " file:/run/secrets/switchback/source-password=pg-source:5432");
      }
      Set<String> endpoints = new LinkedHashSet<>();
      for (String e : entry.substring(eq + 1).split(",")) {
        endpoints.add(e.strip());
      }
      bindings.put(entry.substring(0, eq).strip(), endpoints);
    }
    return of(prefix, directories, bindings);
  }

  /**
   * True when a plan may name {@code reference} ({@code env:NAME} or {@code file:/path}) on this
   * worker: the worker's own credentials (its payload keys among them) must never be.
   */
  public boolean allows(String reference) {
    return refusal(reference) == null;
  }

  /** Why {@code reference} is outside the scope, or null when it is inside. */
  String refusal(String reference) {
    if (reference.startsWith("env:")) {
      String name = reference.substring(4);
      if (prefix != null && name.startsWith(prefix)) {
        return null;
      }
      return "environment variable "
          + name
          + " is outside this worker's secret scope, which allows "
          + (prefix == null ? "no environment variable" : "only names starting with " + prefix)
          + "; store the secret on the worker as "
          + (prefix == null ? "a file under " + directories : prefix + name)
          + " and reference that (the scope is set by "
          + PREFIX_VARIABLE
          + " on the worker)";
    }
    if (reference.startsWith("file:")) {
      Path path = Path.of(reference.substring(5));
      if (!path.isAbsolute()) {
        return "'" + path + "' is not an absolute path; write file:/path";
      }
      // Refused before the file system is asked, so the answer tells nothing about files
      // outside the scope (not even whether they exist).
      if (directories.stream().noneMatch(path.normalize()::startsWith)) {
        return outside(path);
      }
      Path real;
      try {
        real = path.toRealPath();
      } catch (IOException e) {
        return "secret file "
            + path
            + " cannot be read on the worker ("
            + e.getClass().getSimpleName()
            + ")";
      }
      for (Path dir : directories) {
        if (real.startsWith(dir) && !real.equals(dir) && Files.isRegularFile(real)) {
          return null;
        }
      }
      return outside(path);
    }
    return "not a reference; write env:NAME or file:/path";
  }

  /**
   * The endpoints {@code reference} is bound to, or null when it is not bound. A file reference is
   * also found by its real path.
   */
  Set<String> binding(String reference) {
    Set<String> b = bindings.get(reference);
    if (b == null && reference.startsWith("file:")) {
      try {
        Path real = Path.of(reference.substring(5)).toRealPath();
        for (Map.Entry<String, Set<String>> e : bindings.entrySet()) {
          if (e.getKey().startsWith("file:")
              && Files.exists(Path.of(e.getKey().substring(5)))
              && Path.of(e.getKey().substring(5)).toRealPath().equals(real)) {
            return e.getValue();
          }
        }
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
    return b;
  }

  private String outside(Path path) {
    return "secret file "
        + path
        + " is outside this worker's secret scope, which allows only regular files under "
        + directories
        + " (after resolving symlinks and '..'); put the secret there and reference it (the"
        + " scope is set by "
        + DIRS_VARIABLE
        + " on the worker)";
  }

  @Override
  public String toString() {
    return "env prefix "
        + prefix
        + ", directories "
        + directories
        + ", bindings "
        + bindings.keySet();
  }

  private static Path real(Path d) {
    try {
      return Files.exists(d) ? d.toRealPath() : d.normalize();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
