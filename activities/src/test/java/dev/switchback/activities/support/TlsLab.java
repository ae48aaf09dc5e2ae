package dev.switchback.activities.support;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * The TLS lab of deploy/lab/tls.sh: a PostgreSQL pair (5440 source, 5441 destination) and a MariaDB
 * pair (3320, 3321) speaking TLS with certificates of a throwaway CA. {@link #ensure()} starts it
 * with the project's script when a server does not answer with verified TLS, as the fault suite
 * starts its own servers; the script is idempotent, so tests running side by side may both call it.
 */
public final class TlsLab {
  public static final int PG_SOURCE = 5440;
  public static final int PG_DESTINATION = 5441;
  public static final int MARIADB_SOURCE = 3320;
  public static final int MARIADB_DESTINATION = 3321;

  private TlsLab() {}

  private static Path dir() {
    String lab = System.getenv("SWITCHBACK_LAB_DIR");
    return Path.of(lab == null || lab.isBlank() ? "/var/lib/switchback-lab" : lab, "tls");
  }

  /** The CA that signed every server's certificate. */
  public static String ca() {
    return dir().resolve("ca.pem").toString();
  }

  /** A CA that signed nothing the servers use. */
  public static String otherCa() {
    return dir().resolve("other-ca.pem").toString();
  }

  /** The worker's URL for a PostgreSQL server of the pair: TLS, certificate and host checked. */
  public static String pgUrl(int port, String database) {
    return "jdbc:postgresql://127.0.0.1:"
        + port
        + "/"
        + database
        + "?sslmode=verify-full&sslrootcert="
        + ca();
  }

  /** The worker's URL for a MariaDB server of the pair: TLS, certificate and host checked. */
  public static String mariadbUrl(int port) {
    return "jdbc:mariadb://127.0.0.1:" + port + "/?sslMode=verify-full&serverSslCert=" + ca();
  }

  /** Starts the TLS lab unless every server answers with verified TLS already. */
  public static synchronized void ensure() {
    if (up() == null) {
      return;
    }
    Path script = repository().resolve("deploy/lab/tls.sh");
    String out;
    try {
      Process p =
          new ProcessBuilder("bash", script.toString(), "start").redirectErrorStream(true).start();
      out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
        fail(script + " start failed:\n" + out);
      }
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot run " + script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while starting the TLS lab", e);
    }
    String still = up();
    if (still != null) {
      fail("the TLS lab does not answer after " + script + " start: " + still + "\n" + out);
    }
  }

  /** Null when all four servers answer with verified TLS, else what does not. */
  private static String up() {
    try {
      for (int port : new int[] {PG_SOURCE, PG_DESTINATION}) {
        try (Connection c =
            DriverManager.getConnection(
                pgUrl(port, "postgres") + "&user=postgres&connectTimeout=3")) {
          c.isValid(2);
        }
      }
      for (int port : new int[] {MARIADB_SOURCE, MARIADB_DESTINATION}) {
        try (Connection c =
            DriverManager.getConnection(mariadbUrl(port) + "&user=root&connectTimeout=3000")) {
          c.isValid(2);
        }
      }
      return null;
    } catch (SQLException e) {
      return e.getMessage();
    }
  }

  private static Path repository() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/lab/tls.sh"))) {
        return p;
      }
    }
    throw new AssertionError("deploy/lab/tls.sh not found above " + Path.of("").toAbsolutePath());
  }
}
