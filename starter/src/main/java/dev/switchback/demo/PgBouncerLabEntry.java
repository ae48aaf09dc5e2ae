package dev.switchback.demo;

import dev.switchback.activities.router.pgbouncer.DatabasesFile;
import dev.switchback.activities.router.pgbouncer.Upstream;
import dev.switchback.demo.load.LoadProcess;
import dev.switchback.plan.RouterInstance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The lab PgBouncers' entry for a demo database (deploy/lab/pgbouncer.sh: instances on 6432 and
 * 6433, each with its own databases file, {@code %include}d by its pgbouncer.ini): written pointing
 * at the source before the demo, as an operator's PgBouncer is configured before a cutover, then
 * {@code RELOAD}ed, and resumed if an interrupted run left it paused. During the cutover the router
 * rewrites it.
 */
final class PgBouncerLabEntry {
  static final String HOST = "127.0.0.1";
  static final List<Integer> PORTS = List.of(6432, 6433);

  private final String entry;

  PgBouncerLabEntry(String entry) {
    this.entry = entry;
  }

  /** The lab's directory ({@code $SWITCHBACK_LAB_DIR}, as the lab scripts read it). */
  static Path labDir() {
    String dir = System.getenv("SWITCHBACK_LAB_DIR");
    return Path.of(dir != null && !dir.isBlank() ? dir : "/var/lib/switchback-lab");
  }

  static Path databasesFile(int port) {
    return labDir().resolve("pgbouncer").resolve(Integer.toString(port)).resolve("databases.ini");
  }

  /** The plan's router instances: every lab PgBouncer's admin console and databases file. */
  static List<RouterInstance> instances() {
    return PORTS.stream()
        .map(
            p ->
                new RouterInstance(
                    "postgres://switchback@" + HOST + ":" + p + "/pgbouncer",
                    databasesFile(p).toString()))
        .toList();
  }

  /**
   * Points the entry at {@code host:port/dbname} on every lab PgBouncer: rewritten as the router
   * rewrites it (under the file's lock, replaced atomically), or added when missing.
   */
  void pointAt(String host, int port, String dbname) throws IOException, InterruptedException {
    Upstream target = new Upstream(host, port, dbname);
    for (int p : PORTS) {
      Path file = databasesFile(p);
      if (!Files.isRegularFile(file)) {
        throw new IllegalStateException(
            "no PgBouncer databases file "
                + file
                + ": deploy/lab/lab.sh start pgbouncer writes it (with SWITCHBACK_LAB_DIR as the"
                + " demo's)");
      }
      DatabasesFile.update(file, text -> withEntry(text, entry, target, file.toString()));
      console(p, "RELOAD");
      // name|host|port|database|force_user|pool_size|min_pool_size|reserve_pool|pool_mode|
      // max_connections|current_connections|paused|disabled
      for (String row : console(p, "SHOW DATABASES").split("\n")) {
        String[] f = row.split("\\|", -1);
        if (f.length > 11 && f[0].equals(entry) && !"0".equals(f[11])) {
          console(p, "RESUME " + entry);
        }
      }
    }
  }

  /** {@code text} with {@code entry} pointing at {@code target}, added at the end when missing. */
  static String withEntry(String text, String entry, Upstream target, String where) {
    if (!DatabasesFile.entries(text, entry).isEmpty()) {
      return DatabasesFile.point(text, entry, target, where);
    }
    // The lab's file holds only the [databases] section (pgbouncer.ini %includes it there).
    return text
        + (text.isEmpty() || text.endsWith("\n") ? "" : "\n")
        + entry
        + " = host="
        + target.host()
        + " port="
        + target.port()
        + " dbname="
        + target.dbname()
        + "\n";
  }

  // psql, as the lab script drives the console: pgjdbc's SET after login is refused there.
  private static String console(int port, String command) throws IOException, InterruptedException {
    return LoadProcess.run(
        List.of(
            "psql",
            "-X",
            "-q",
            "-At",
            "-F",
            "|",
            "-h",
            HOST,
            "-p",
            Integer.toString(port),
            "-U",
            "switchback",
            "-d",
            "pgbouncer",
            "-c",
            command),
        Duration.ofSeconds(30));
  }
}
