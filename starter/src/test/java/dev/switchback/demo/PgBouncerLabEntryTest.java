package dev.switchback.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.switchback.activities.router.pgbouncer.Upstream;
import org.junit.jupiter.api.Test;

/** The demo's entry in a lab PgBouncer's databases file, before the cutover: at the source. */
class PgBouncerLabEntryTest {
  private static final Upstream SOURCE = new Upstream("127.0.0.1", 5433, "switchback_pgbench");

  @Test
  void aMissingEntryIsAddedAtTheEndAndTheRestKept() {
    String file = "; lab\n[databases]\npostgres = host=127.0.0.1 port=5433 dbname=postgres";
    assertEquals(
        file + "\nswitchback_pgbench = host=127.0.0.1 port=5433 dbname=switchback_pgbench\n",
        PgBouncerLabEntry.withEntry(file, "switchback_pgbench", SOURCE, "f"));
  }

  @Test
  void anEntryAnEarlierCutoverMovedIsPointedBackAtTheSource() {
    String file =
        "[databases]\n"
            + "switchback_pgbench = host=127.0.0.1 port=5434 dbname=switchback_pgbench"
            + " pool_size=5\n"
            + "other = host=db port=5432\n";
    assertEquals(
        "[databases]\n"
            + "switchback_pgbench = host=127.0.0.1 port=5433 dbname=switchback_pgbench"
            + " pool_size=5\n"
            + "other = host=db port=5432\n",
        PgBouncerLabEntry.withEntry(file, "switchback_pgbench", SOURCE, "f"));
  }
}
