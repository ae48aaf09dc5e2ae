package dev.switchback.activities.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.switchback.activities.validation.ValidationProgress.KeyedRow;
import dev.switchback.activities.validation.ValidationProgress.TableProgress;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ValidationProgressTest {

  @Test
  void progressSurvivesTemporalsDataConverterAsHeartbeatDetails() {
    ValidationProgress progress =
        new ValidationProgress(
            List.of(
                new TableProgress(
                    "public.orders",
                    List.of(List.of("2001"), List.of("4001")),
                    "0,2",
                    4000,
                    3999,
                    1,
                    List.of("id=1234"),
                    1,
                    List.of(new KeyedRow("id=777", "0cc175b9c0f1b6a831c399e269772661")),
                    0,
                    List.of(),
                    1234,
                    false,
                    List.of("a note")),
                new TableProgress(
                    "public.items", null, "", 0, 0, 0, null, 0, null, 0, null, 0, false, null)));
    DataConverter converter = DefaultDataConverter.newDefaultInstance();
    Optional<io.temporal.api.common.v1.Payloads> payloads = converter.toPayloads(progress);
    ValidationProgress back =
        converter.fromPayloads(0, payloads, ValidationProgress.class, ValidationProgress.class);
    assertEquals(progress, back);
    assertEquals(2, back.rangesDone());
    assertEquals(3, back.table("public.orders").ranges());
    assertEquals(0, back.table("public.items").ranges());
  }

  @Test
  void rangeSetsAreWrittenCompactly() {
    BitSet set = RangeSet.parse("0-4,7,9-10");
    assertEquals(8, set.cardinality());
    assertEquals("0-4,7,9-10", RangeSet.format(set));
    assertEquals("", RangeSet.format(new BitSet()));
  }
}
