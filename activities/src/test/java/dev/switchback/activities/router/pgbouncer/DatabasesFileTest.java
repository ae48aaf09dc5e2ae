package dev.switchback.activities.router.pgbouncer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The databases file as PgBouncer's ini parser reads it, and the locked, atomic rewrite. */
@Timeout(60)
class DatabasesFileTest {
  private static final Upstream DESTINATION = new Upstream("10.0.0.2", 5434, "app_new");

  @TempDir Path dir;

  /** A file with everything an operator writes: comments, other sections, quirks of spacing. */
  private static final String FILE =
      "; PgBouncer databases, managed by hand \u00e9t\u00e9 (a Latin-1 byte above)\r\n"
          + "[pgbouncer]\r\n"
          + "orders = not a database: this is the [pgbouncer] section\r\n"
          + "\r\n"
          + "[databases]\r\n"
          + "# the order service\r\n"
          + "billing = host=10.0.0.1 port=5433 dbname=billing pool_size=5\r\n"
          + "  orders   =  host=10.0.0.1   user=app  port=5433 dbname=app pool_size=20"
          + " application_name='orders ''svc'''   \r\n"
          + "orders_ro = host=10.0.0.9 dbname=app\r\n"
          + "%include /etc/pgbouncer/more.ini\r\n"
          + "* = host=10.0.0.1\r\n";

  @Test
  void pointChangesOnlyHostPortAndDbnameOfThatEntryByteForByte() {
    String raw = new String(FILE.getBytes(StandardCharsets.ISO_8859_1), DatabasesFile.RAW);

    String out = DatabasesFile.point(raw, "orders", DESTINATION, "the file");

    String expected =
        raw.replace(
            "  orders   =  host=10.0.0.1   user=app  port=5433 dbname=app pool_size=20",
            "  orders   =  host=10.0.0.2   user=app  port=5434 dbname=app_new pool_size=20");
    assertEquals(expected, out);
    assertArrayEquals(
        expected.getBytes(DatabasesFile.RAW), out.getBytes(DatabasesFile.RAW), "every other byte");
    DatabasesFile.Entry e = DatabasesFile.entry(out, "orders", "the file");
    assertEquals(DESTINATION, e.upstream());
    assertEquals(8, e.line());
  }

  @Test
  void missingKeysAreAddedAtTheEndOfTheEntry() {
    String raw = "[databases]\nappdb = user=app pool_mode=transaction\nother = host=x\n";

    String out = DatabasesFile.point(raw, "appdb", DESTINATION, "f");

    assertEquals(
        "[databases]\nappdb = user=app pool_mode=transaction host=10.0.0.2 port=5434"
            + " dbname=app_new\nother = host=x\n",
        out);
  }

  @Test
  void anEntryWithoutHostOrDbnameReadsAsPgBouncerDefaultsIt() {
    DatabasesFile.Entry e = DatabasesFile.entry("[databases]\nappdb = pool_size=3\n", "appdb", "f");

    assertEquals(new Upstream(null, 5432, "appdb"), e.upstream());
  }

  @Test
  void valuesThatNeedQuotesAreQuotedAndAFileWithoutSectionIsAnInclude() {
    String raw = "'my db' = host=a dbname='old name'\n";

    String out = DatabasesFile.point(raw, "my db", new Upstream("b", 6000, "it's new"), "f");

    assertEquals("'my db' = host=b dbname='it''s new' port=6000\n", out);
    assertEquals(
        new Upstream("b", 6000, "it's new"), DatabasesFile.entry(out, "my db", "f").upstream());
  }

  @Test
  void aMissingOrDoubledEntryIsAProblemNamingTheFile() {
    DatabasesFile.Problem missing =
        assertThrows(
            DatabasesFile.Problem.class,
            () -> DatabasesFile.point(FILE, "Orders", DESTINATION, "/etc/pgb/db.ini"));
    assertTrue(missing.getMessage().contains("/etc/pgb/db.ini has no [databases] entry 'Orders'"));
    assertTrue(missing.getMessage().contains("there is 'orders'"), missing.getMessage());

    DatabasesFile.Problem twice =
        assertThrows(
            DatabasesFile.Problem.class,
            () ->
                DatabasesFile.point(
                    "[databases]\na = host=x\na = host=y\n", "a", DESTINATION, "f"));
    assertTrue(twice.getMessage().contains("2 times (lines 2, 3)"), twice.getMessage());
  }

  @Test
  void aBrokenConnectionStringIsAProblem() {
    DatabasesFile.Problem p =
        assertThrows(
            DatabasesFile.Problem.class,
            () -> DatabasesFile.point("[databases]\na = host='x\n", "a", DESTINATION, "f"));
    assertTrue(p.getMessage().contains("line 2"), p.getMessage());
  }

  @Test
  void updateReplacesTheFileAtomicallyWithItsPermissionsAndLeavesNoTemporaryFile()
      throws Exception {
    Path file = dir.resolve("databases.ini");
    Files.write(file, FILE.getBytes(StandardCharsets.ISO_8859_1));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    Object before = Files.readAttributes(file, "unix:ino").get("ino");

    boolean changed =
        DatabasesFile.update(file, t -> DatabasesFile.point(t, "orders", DESTINATION, "f"));
    boolean again =
        DatabasesFile.update(file, t -> DatabasesFile.point(t, "orders", DESTINATION, "f"));

    assertTrue(changed);
    assertFalse(again, "pointing twice is one change");
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertFalse(before.equals(Files.readAttributes(file, "unix:ino").get("ino")), "renamed over");
    try (var listing = Files.list(dir)) {
      assertEquals(
          java.util.Set.of(file, dir.resolve(".databases.ini.lock")),
          java.util.Set.copyOf(listing.toList()),
          "no temporary file left; the lock file stays");
    }
    assertEquals(
        DESTINATION, DatabasesFile.entry(DatabasesFile.read(file), "orders", "f").upstream());
  }

  @Test
  void updateFollowsASymbolicLinkAndKeepsIt() throws Exception {
    Path real = dir.resolve("real.ini");
    Files.writeString(real, "[databases]\norders = host=a port=1 dbname=b\n");
    Path link = Files.createSymbolicLink(dir.resolve("link.ini"), real);

    DatabasesFile.update(link, t -> DatabasesFile.point(t, "orders", DESTINATION, "f"));

    assertTrue(Files.isSymbolicLink(link));
    assertTrue(Files.readString(real).contains("host=10.0.0.2 port=5434 dbname=app_new"));
  }

  @Test
  void concurrentRewritesOfOneFileLoseNothing() throws Exception {
    Path file = dir.resolve("databases.ini");
    Files.writeString(file, "[databases]\n");
    int threads = 4;
    int each = 50;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        running.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < each; i++) {
                    String line = "db_" + thread + "_" + i + " = host=h port=1 dbname=d\n";
                    DatabasesFile.update(file, text -> text + line);
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : running) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    String text = Files.readString(file);
    for (int t = 0; t < threads; t++) {
      for (int i = 0; i < each; i++) {
        assertEquals(
            1, DatabasesFile.entries(text, "db_" + t + "_" + i).size(), "db_" + t + "_" + i);
      }
    }
    assertEquals(1 + threads * each, text.lines().count());
  }

  @Test
  void aWorkerInAnotherProcessAndThisOneRewritingOneFileLoseNothing() throws Exception {
    Path file = dir.resolve("databases.ini");
    Files.writeString(file, "[databases]\n");
    int theirs = 300;
    Process other =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Writer.class.getName(),
                file.toString(),
                "other",
                String.valueOf(theirs))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("other.log").toFile())
            .start();
    int ours = 0;
    try {
      // Write for as long as the other process does (and at least 100 times), so they overlap.
      while (other.isAlive() || ours < 100) {
        String line = "ours_" + ours + " = host=h port=1 dbname=d\n";
        DatabasesFile.update(file, text -> text + line);
        ours++;
      }
      assertTrue(other.waitFor(50, TimeUnit.SECONDS), "the other writer ended");
    } finally {
      other.destroyForcibly();
    }
    assertEquals(0, other.exitValue(), Files.readString(dir.resolve("other.log")));

    String text = Files.readString(file);
    for (int i = 0; i < theirs; i++) {
      assertEquals(1, DatabasesFile.entries(text, "other_" + i).size(), "other_" + i);
    }
    for (int i = 0; i < ours; i++) {
      assertEquals(1, DatabasesFile.entries(text, "ours_" + i).size(), "ours_" + i);
    }
    assertEquals(1 + theirs + ours, text.lines().count());
  }

  /** The other process of the test above: appends {@code count} entries, one update each. */
  public static final class Writer {
    private Writer() {}

    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      for (int i = 0; i < Integer.parseInt(args[2]); i++) {
        String line = args[1] + "_" + i + " = host=h port=1 dbname=d\n";
        DatabasesFile.update(file, text -> text + line);
      }
    }
  }
}
