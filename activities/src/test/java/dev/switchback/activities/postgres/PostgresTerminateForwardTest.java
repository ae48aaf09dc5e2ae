package dev.switchback.activities.postgres;

import static dev.switchback.activities.postgres.PgLab.ENGINE;
import static dev.switchback.activities.postgres.PgLab.PROVIDER;
import static dev.switchback.activities.postgres.PgLab.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ending the paused forward instance (issue 10, findings 11 and 12): after a rollback, and after
 * finalize, nothing of it may stay on the source. A slot nobody consumes holds WAL until the
 * source's disk is full; a publication Switchback made is part of the instance; one the operator
 * made is theirs, and the state says how to drop it.
 */
class PostgresTerminateForwardTest {

  @BeforeAll
  static void lab() {
    PgLab.requireLab();
  }

  private static final String SLOTS_OF_THE_DATABASE =
      "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()";
  private static final String SUBSCRIPTIONS_OF_THE_DATABASE =
      "SELECT count(*) FROM pg_subscription WHERE subdbid ="
          + " (SELECT oid FROM pg_database WHERE datname = current_database())";

  private static String publications(String name) {
    return "SELECT count(*) FROM pg_publication WHERE pubname = '" + name + "'";
  }

  @Test
  @Timeout(120)
  void rollbackEndsThePausedForwardInstanceWithItsSlotAndPublicationIdempotently()
      throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      p.cutToReverse(plan);
      // The rollback: the reverse instance carried the destination's writes back and ends, the
      // application is back on the source, and the paused forward instance is ended.
      PROVIDER.terminate(m, Direction.REVERSE);
      ENGINE.unfenceWrites(p.engine(plan, Side.SOURCE));
      assertEquals(1, p.srcLong(SLOTS_OF_THE_DATABASE), "the paused forward slot (finding 12)");
      assertEquals(1, p.dstLong(SUBSCRIPTIONS_OF_THE_DATABASE));

      PROVIDER.terminate(m, Direction.FORWARD);

      assertEquals(0, p.srcLong(SLOTS_OF_THE_DATABASE), "a slot would hold WAL on the source");
      assertEquals(0, p.dstLong(SUBSCRIPTIONS_OF_THE_DATABASE), "subscription left");
      assertEquals(
          0, p.srcLong(publications(p.forward)), "setup-forward's publication left (finding 11)");
      InstanceState s = PROVIDER.describe(m, Direction.FORWARD);
      assertEquals("NOT_FOUND", s.status());
      assertFalse(s.detail().contains("DROP PUBLICATION"), s.detail());

      PROVIDER.terminate(m, Direction.FORWARD); // a retried terminate is a no-op
      assertEquals(0, p.srcLong(SLOTS_OF_THE_DATABASE));
      assertEquals("NOT_FOUND", PROVIDER.describe(m, Direction.FORWARD).status());
    }
  }

  @Test
  @Timeout(120)
  void finalizeOnTheFencedSourceEndsTheForwardInstanceWithSetupForwardsPublication()
      throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      p.cutToReverse(plan); // the source stays fenced: the application is on the destination
      PROVIDER.terminate(m, Direction.REVERSE);

      PROVIDER.terminate(m, Direction.FORWARD);

      assertEquals(0, p.srcLong(SLOTS_OF_THE_DATABASE));
      assertEquals(0, p.srcLong(publications(p.forward)), "finding 11: publication left");
      assertEquals(0, p.dstLong(SUBSCRIPTIONS_OF_THE_DATABASE));
      ENGINE.unfenceWrites(p.engine(plan, Side.SOURCE));
    }
  }

  @Test
  @Timeout(120)
  void pausedForwardInstanceWhoseSlotIsAlreadyGoneIsStillEnded() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      pause(m);
      // Someone dropped the slot of the disabled subscription by hand.
      p.src("SELECT pg_drop_replication_slot('" + p.forward + "')");

      PROVIDER.terminate(m, Direction.FORWARD);
      PROVIDER.terminate(m, Direction.FORWARD);

      assertEquals(0, p.dstLong(SUBSCRIPTIONS_OF_THE_DATABASE), "subscription left");
      assertEquals(0, p.srcLong(SLOTS_OF_THE_DATABASE));
      assertEquals(0, p.srcLong(publications(p.forward)));
    }
  }

  @Test
  @Timeout(120)
  void anOperatorsPublicationStaysAndTheStateNamesTheCommandThatDropsIt() throws Exception {
    try (PgLab.Pair p = new PgLab.Pair()) {
      p.schema("CREATE TABLE items (id bigint PRIMARY KEY)");
      // The operator made the publication; setup-forward finds and uses it.
      p.src("CREATE PUBLICATION " + p.forward + " FOR ALL TABLES");
      CutoverPlan plan = p.plan();
      MigrationContext m = p.migration(plan);
      p.startForward(plan);
      pause(m);

      PROVIDER.terminate(m, Direction.FORWARD);

      assertEquals(0, p.srcLong(SLOTS_OF_THE_DATABASE), "a slot would hold WAL on the source");
      assertEquals(0, p.dstLong(SUBSCRIPTIONS_OF_THE_DATABASE));
      assertEquals(1, p.srcLong(publications(p.forward)), "the operator's publication is theirs");
      InstanceState s = PROVIDER.describe(m, Direction.FORWARD);
      assertEquals("NOT_FOUND", s.status());
      assertTrue(s.detail().contains("DROP PUBLICATION \"" + p.forward + "\";"), s.detail());
      assertTrue(s.detail().contains("database " + p.db + " on the source"), s.detail());

      PROVIDER.terminate(m, Direction.FORWARD);
      assertEquals(1, p.srcLong(publications(p.forward)));
    }
  }

  private static void pause(MigrationContext m) {
    PROVIDER.pause(m, Direction.FORWARD);
    await(
        "forward PAUSED",
        Duration.ofSeconds(30),
        () -> PROVIDER.describe(m, Direction.FORWARD),
        InstanceState::paused);
  }
}
