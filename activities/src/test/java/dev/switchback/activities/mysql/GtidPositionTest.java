package dev.switchback.activities.mysql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GtidPositionTest {

  @Test
  void parsesAndPrintsOneGtidPerDomain() {
    GtidPosition p = GtidPosition.parse(" 3308-3308-7, 3307-3307-100 ");
    assertEquals("3307-3307-100,3308-3308-7", p.toString());
    assertTrue(GtidPosition.parse("").isEmpty());
    assertTrue(GtidPosition.parse(null).isEmpty());
    // A binlog state lists a domain once per server: the highest sequence number is the position.
    assertEquals("0-2-9", GtidPosition.parse("0-1-5,0-2-9,0-3-7").toString());
  }

  @Test
  void coversComparesSequenceNumbersPerDomain() {
    GtidPosition replica = GtidPosition.parse("1-1-100,2-2-5");
    assertTrue(replica.covers(GtidPosition.parse("1-1-100")));
    assertTrue(replica.covers(GtidPosition.parse("1-1-99,2-2-5")));
    assertTrue(replica.covers(GtidPosition.empty()));
    assertFalse(replica.covers(GtidPosition.parse("1-1-101")));
    assertFalse(replica.covers(GtidPosition.parse("3-3-1")), "a domain the replica never saw");
    assertEquals(
        "1-1-101,3-3-1", replica.missing(GtidPosition.parse("1-1-101,2-2-4,3-3-1")).toString());
  }

  @Test
  void mergeTakesTheLaterGtidAndOverrideTakesTheOthersDomains() {
    GtidPosition a = GtidPosition.parse("1-1-10,2-2-3");
    GtidPosition b = GtidPosition.parse("1-1-8,2-2-9,4-4-1");
    assertEquals("1-1-10,2-2-9,4-4-1", a.merge(b).toString());
    assertEquals("1-1-8,2-2-9,4-4-1", a.override(b).toString());
    assertEquals("1-1-10", a.aheadOf(b).toString(), "only domains both have");
  }

  @Test
  void malformedPositionsNameThePart() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> GtidPosition.parse("1-1-10,abc"));
    assertTrue(e.getMessage().contains("'abc'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> GtidPosition.parse("1-x-3"));
  }
}
