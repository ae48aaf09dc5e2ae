package dev.switchback.activities.router.haproxy;

import dev.switchback.activities.support.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * An HAProxy of the test's own, in the foreground, with only Unix sockets (no port to collide with
 * a concurrent run): one at level admin and one at level user, and a backend {@code test_mariadb}
 * with the lab's servers and no frontend. It stands for a second instance beside the lab's, and for
 * a socket a cutover must not be able to change anything through; and a backend {@code test_backup}
 * whose third server is a backup.
 */
final class OwnHaproxy implements AutoCloseable {
  final String adminUrl;
  final String userUrl;
  private final Process process;
  private final Path log;

  private OwnHaproxy(Path dir, Process process) {
    this.adminUrl = "unix://" + dir.resolve("admin.sock");
    this.userUrl = "unix://" + dir.resolve("user.sock");
    this.process = process;
    this.log = dir.resolve("haproxy.log");
  }

  static OwnHaproxy start(Path dir) throws IOException {
    Path cfg = dir.resolve("haproxy.cfg");
    Files.writeString(
        cfg,
        String.join(
            "\n",
            "global",
            "  stats socket " + dir.resolve("admin.sock") + " mode 600 level admin",
            "  stats socket " + dir.resolve("user.sock") + " mode 600 level user",
            "defaults",
            "  mode tcp",
            "  timeout connect 2s",
            "  timeout client 1h",
            "  timeout server 1h",
            "backend test_mariadb",
            "  server src 127.0.0.1:3307",
            "  server dst 127.0.0.1:3308 disabled",
            "backend test_backup",
            "  server src 127.0.0.1:3307",
            "  server dst 127.0.0.1:3308 disabled",
            "  server spare 127.0.0.1:3309 backup",
            ""));
    Process p =
        new ProcessBuilder("/usr/sbin/haproxy", "-db", "-f", cfg.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("haproxy.log").toFile())
            .start();
    OwnHaproxy own = new OwnHaproxy(dir, p);
    try {
      Await.until(
          "the test's own HAProxy to answer on " + own.adminUrl,
          Duration.ofSeconds(15),
          () -> {
            if (!p.isAlive()) {
              throw new AssertionError("haproxy exited: " + Files.readString(own.log));
            }
            return HaproxyLab.raw(own.adminUrl, "show info").contains("Name: HAProxy");
          });
    } catch (AssertionError e) {
      own.close();
      throw e;
    }
    return own;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
