package dev.switchback.activities.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.Settler;
import dev.switchback.activities.validation.ValidationProgress;
import dev.switchback.activities.validation.ValidationRun;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * Redis validation between logical databases 12 and 13 of the server on 127.0.0.1:6379, on keys
 * under {@code sbval:} only, so other tests' keys there do not matter.
 */
class RedisValidatorTest {
  static final String URL = "redis://127.0.0.1:6379/";
  static final int SOURCE = 12;
  static final int DESTINATION = 13;
  static final String PATTERN = "sbval:*";

  @BeforeAll
  static void plant() {
    clean();
    try (Jedis s = db(SOURCE);
        Jedis d = db(DESTINATION)) {
      for (Jedis j : List.of(s, d)) {
        for (int i = 0; i < 500; i++) {
          j.set("sbval:s:" + i, "value " + i);
        }
        j.rpush("sbval:l:1", "a", "b", "c");
        j.zadd("sbval:z", Map.of("a", 1.5, "b", 2.0, "c", -3.25));
        j.xadd("sbval:stream", new StreamEntryID(1, 1), Map.of("f", "v"));
        j.xadd("sbval:stream", new StreamEntryID(2, 1), Map.of("g", "w"));
        j.set("sbval:ttl", "t");
      }
      // The same hashes and sets, built in another order: their encodings iterate differently,
      // so their DUMP differs, but they hold the same values.
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        order.add(i);
      }
      for (int i : order) {
        s.hset("sbval:h:big", "f" + i, "v" + i);
        s.sadd("sbval:set", "m" + i);
      }
      s.hset("sbval:h:small", "a", "1");
      s.hset("sbval:h:small", "b", "2");
      Collections.reverse(order);
      for (int i : order) {
        d.hset("sbval:h:big", "f" + i, "v" + i);
        d.sadd("sbval:set", "m" + i);
      }
      d.hset("sbval:h:small", "b", "2");
      d.hset("sbval:h:small", "a", "1");
      // Real differences.
      s.set("sbval:s:2", "value 2");
      d.set("sbval:s:2", "value two");
      s.rpush("sbval:l:2", "a", "b");
      d.rpush("sbval:l:2", "b", "a");
      s.set("sbval:m", "only on the source");
      d.set("sbval:x", "only on the destination");
      s.expire("sbval:ttl", 3600);
    }
  }

  @AfterAll
  static void clean() {
    for (int db : List.of(SOURCE, DESTINATION)) {
      try (Jedis j = db(db)) {
        List<String> keys = new ArrayList<>(j.keys(PATTERN));
        if (!keys.isEmpty()) {
          j.del(keys.toArray(String[]::new));
        }
      }
    }
  }

  @Test
  void findsExactlyTheMissingExtraAndChangedKeys() {
    ValidationRun run = validate(List.of(PATTERN));
    TableComparison c = run.report().tables().get(0);
    assertFalse(run.passed());
    assertEquals("db12 sbval:*", c.table());
    assertEquals(509, c.sourceRows());
    assertEquals(509, c.destinationRows());
    assertEquals(
        List.of(
            "changed key sbval:l:2",
            "changed key sbval:s:2",
            "changed key sbval:ttl",
            "extra key sbval:x",
            "missing key sbval:m"),
        run.tables().get(0).differences().stream().sorted().toList());
    assertEquals(List.of(1L, 1L, 3L), List.of(c.missing(), c.extra(), c.changed()));
  }

  @Test
  void theOrderOnlyDifferencesArePlantedForReal() {
    try (Jedis s = db(SOURCE);
        Jedis d = db(DESTINATION)) {
      for (String key : List.of("sbval:h:small", "sbval:h:big")) {
        assertEquals(s.hgetAll(key), d.hgetAll(key), key);
      }
      assertEquals(s.smembers("sbval:set"), d.smembers("sbval:set"));
      // A comparison of DUMP payloads would report the small hash.
      assertFalse(java.util.Arrays.equals(s.dump("sbval:h:small"), d.dump("sbval:h:small")));
    }
  }

  @Test
  void samePatternsPass() {
    ValidationRun run = validate(List.of("sbval:h:*", "sbval:set", "sbval:z", "sbval:stream"));
    assertTrue(run.passed(), run.report().detail());
    assertEquals(4, run.tables().size());
    assertEquals(2, run.report().tables().get(0).sourceRows());
  }

  @Test
  void reportsProgressWhileScanning() {
    List<ValidationProgress> seen = new ArrayList<>();
    DataValidator.Options options =
        DataValidator.Options.defaults().withProgressInterval(Duration.ZERO);
    new DataValidator(options)
        .run(
            new Connections(new Secrets(Map.of())),
            plan(URL + SOURCE, URL + DESTINATION, List.of(PATTERN)),
            null,
            seen::add);
    assertFalse(seen.isEmpty());
    assertEquals(509, seen.get(seen.size() - 1).tables().get(0).sourceRows());
  }

  /**
   * After the switch: the test plays the reverse instance, carrying the destination's keys to the
   * source when the validation waits for the destination's offset. Keys in flight settle, a key
   * rewritten at every recheck is named and not counted, a stray write on the source remains.
   */
  @Test
  void keysInFlightSettleAndOnlyTheStrayWriteOnTheSourceRemains() {
    try (Jedis s = db(SOURCE);
        Jedis d = db(DESTINATION)) {
      for (Jedis j : List.of(s, d)) {
        for (int i = 0; i < 100; i++) {
          j.set("sbre:k" + i, "v" + i);
        }
      }
      d.set("sbre:new", "written after the switch");
      d.set("sbre:k5", "updated after the switch");
      d.set("sbre:hot", "hot-0");
      s.set("sbre:hot", "before");
      s.set("sbre:k7", "stray write on the source");
    }
    int[] positions = {0};
    Settler reverse =
        new Settler() {
          @Override
          public String position() {
            try (Jedis d = db(DESTINATION)) {
              d.set("sbre:hot", "hot-" + ++positions[0]); // the application writes it again
            }
            return "offset-" + positions[0];
          }

          @Override
          public boolean reached(String position) {
            try (Jedis s = db(SOURCE);
                Jedis d = db(DESTINATION)) {
              for (String key : List.of("sbre:new", "sbre:k5", "sbre:hot")) {
                s.set(key, d.get(key));
              }
            }
            return true;
          }
        };
    try {
      ValidationRun plain = validate(List.of("sbre:*"));
      ValidationRun rechecked =
          new DataValidator()
              .run(
                  new Connections(new Secrets(Map.of())),
                  plan(URL + SOURCE, URL + DESTINATION, List.of("sbre:*")),
                  null,
                  null,
                  reverse);

      TableComparison before = plain.report().tables().get(0);
      assertEquals(
          List.of(0L, 1L, 3L), List.of(before.missing(), before.extra(), before.changed()));
      TableComparison after = rechecked.report().tables().get(0);
      assertFalse(rechecked.passed());
      assertEquals(List.of(0L, 0L, 1L), List.of(after.missing(), after.extra(), after.changed()));
      assertEquals(List.of("changed key sbre:k7"), rechecked.tables().get(0).differences());
      String detail = rechecked.report().detail();
      assertTrue(detail.contains("2 key(s) that differed matched once the source"), detail);
      assertTrue(
          detail.contains(
              "during each of 3 rechecks and could not be compared; not counted as"
                  + " differences (e.g. sbre:hot)"),
          detail);
    } finally {
      for (int db : List.of(SOURCE, DESTINATION)) {
        try (Jedis j = db(db)) {
          List<String> keys = new ArrayList<>(j.keys("sbre:*"));
          if (!keys.isEmpty()) {
            j.del(keys.toArray(String[]::new));
          }
        }
      }
    }
  }

  @Test
  void aUrlWithoutDatabaseNumberIsRefused() {
    ApplicationFailure f =
        assertThrows(
            ApplicationFailure.class,
            () ->
                new DataValidator()
                    .validate(
                        new Connections(new Secrets(Map.of())),
                        plan("redis://127.0.0.1:6379/x", URL + DESTINATION, List.of()),
                        null));
    assertEquals(FailureTypes.INVALID_PLAN, f.getType());
    assertTrue(f.getOriginalMessage().startsWith("source.url"), f.getOriginalMessage());
  }

  static ValidationRun validate(List<String> patterns) {
    return new DataValidator()
        .run(
            new Connections(new Secrets(Map.of())),
            plan(URL + SOURCE, URL + DESTINATION, patterns),
            null,
            null);
  }

  static CutoverPlan plan(String source, String destination, List<String> patterns) {
    return new CutoverPlan(
        "redis-validation",
        null,
        new EndpointSpec("redis", source, null, null, List.of(), Map.of()),
        new EndpointSpec("redis", destination, null, null, List.of(), Map.of()),
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        new ValidationSpec(patterns, "full", true),
        null);
  }

  static Jedis db(int db) {
    Jedis j = new Jedis("127.0.0.1", 6379);
    j.select(db);
    return j;
  }
}
