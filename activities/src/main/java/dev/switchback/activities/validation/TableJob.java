package dev.switchback.activities.validation;

import dev.switchback.activities.validation.ValidationProgress.KeyedRow;
import dev.switchback.activities.validation.ValidationProgress.TableProgress;
import dev.switchback.messages.values.TableComparison;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** One table's comparison: its ranges, what is done, what was found. Thread-safe. */
final class TableJob {
  /** Rows kept per kind of difference (with their hashes, to match rows moved between ranges). */
  static final int KEPT_ROWS = 1000;

  /** Ranges with differences remembered for a recheck (see {@link Settler}). */
  static final int RECHECK_RANGES = 64;

  private static final int EXAMPLES = 10;

  final String name;
  final TableSide source;
  final TableSide destination;
  final List<String> problems;
  private final List<String> notes;

  private List<List<String>> boundaries;
  private BitSet selected;
  private final BitSet done = new BitSet();
  private int resumedRanges;
  private long sourceRows;
  private long destinationRows;
  private long changed;
  private final List<String> changedKeys = new ArrayList<>();
  private long missing;
  private final Map<String, String> missingRows = new LinkedHashMap<>();
  private long extra;
  private final Map<String, String> extraRows = new LinkedHashMap<>();
  private final List<KeyRange> recheckRanges = new ArrayList<>();
  private final Map<String, Integer> recheckRangeOf = new HashMap<>();
  private boolean recheckOverflow;
  private boolean recheckTooLarge;
  private long settled;
  private long unsettled;
  private final List<String> unsettledKeys = new ArrayList<>();
  private long elapsedBeforeMs;
  private long startNanos = -1;
  private long endNanos = -1;
  private boolean finished;

  TableJob(
      String name,
      TableSide source,
      TableSide destination,
      List<String> problems,
      List<String> notes) {
    this.name = name;
    this.source = source;
    this.destination = destination;
    this.problems = List.copyOf(problems);
    this.notes = new ArrayList<>(notes);
  }

  boolean keyed() {
    return source != null && destination != null && source.keyed();
  }

  synchronized void restore(TableProgress p) {
    if (p.boundaries() != null) {
      boundaries = List.copyOf(p.boundaries());
    }
    done.or(RangeSet.parse(p.done()));
    resumedRanges = done.cardinality();
    sourceRows = p.sourceRows();
    destinationRows = p.destinationRows();
    changed = p.changed();
    changedKeys.addAll(p.changedKeys());
    missing = p.missing();
    p.missingRows().forEach(r -> missingRows.put(r.key(), r.hash()));
    extra = p.extra();
    p.extraRows().forEach(r -> extraRows.put(r.key(), r.hash()));
    elapsedBeforeMs = p.elapsedMs();
    finished = p.finished();
    for (String note : p.notes()) {
      if (!notes.contains(note)) {
        notes.add(note);
      }
    }
  }

  synchronized boolean finished() {
    return finished;
  }

  synchronized boolean split() {
    return boundaries != null;
  }

  /** Sets the ranges; in sample mode only a seeded random {@code fraction} of them is compared. */
  synchronized void split(List<List<String>> keys, boolean sample, double fraction) {
    boundaries = List.copyOf(keys);
    select(sample, fraction);
  }

  synchronized void select(boolean sample, double fraction) {
    int n = rangeCount();
    selected = new BitSet();
    if (!sample) {
      selected.set(0, n);
      return;
    }
    int k = Math.max(1, (int) Math.round(n * fraction));
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    // Seeded by the table and its ranges, so a resumed sample picks the same ranges.
    java.util.Collections.shuffle(order, new Random(name.hashCode() * 31L + n));
    order.subList(0, Math.min(k, n)).forEach(selected::set);
  }

  synchronized int rangeCount() {
    return boundaries == null ? 0 : boundaries.size() + 1;
  }

  synchronized List<Integer> pendingRanges() {
    List<Integer> out = new ArrayList<>();
    for (int i = selected.nextSetBit(0); i >= 0; i = selected.nextSetBit(i + 1)) {
      if (!done.get(i)) {
        out.add(i);
      }
    }
    return out;
  }

  synchronized KeyRange range(int index) {
    List<String> lower = index == 0 ? null : boundaries.get(index - 1);
    List<String> upper = index == boundaries.size() ? null : boundaries.get(index);
    return new KeyRange(lower, upper);
  }

  synchronized void started() {
    if (startNanos < 0) {
      startNanos = System.nanoTime();
    }
  }

  synchronized void rangeDone(int index) {
    done.set(index);
    endNanos = System.nanoTime();
  }

  synchronized void ended() {
    endNanos = System.nanoTime();
  }

  synchronized void rows(long onSource, long onDestination) {
    sourceRows += onSource;
    destinationRows += onDestination;
  }

  synchronized void missing(String key, String hash) {
    missing++;
    if (missingRows.size() < KEPT_ROWS) {
      missingRows.put(key, hash);
    }
  }

  synchronized void extra(String key, String hash) {
    extra++;
    if (extraRows.size() < KEPT_ROWS) {
      extraRows.put(key, hash);
    }
  }

  /** Rows without a key: counted, with a few rendered rows as examples. */
  synchronized void multisetDifferences(
      long missingCount,
      List<String> missingExamples,
      long extraCount,
      List<String> extraExamples) {
    missing += missingCount;
    extra += extraCount;
    missingExamples.forEach(r -> missingRows.put(r, ""));
    extraExamples.forEach(r -> extraRows.put(r, ""));
  }

  synchronized void changed(String key) {
    changed++;
    if (changedKeys.size() < KEPT_ROWS) {
      changedKeys.add(key);
    }
  }

  /**
   * Remembers that the rows with these (displayed) keys differ in {@code range}, so they can be
   * rechecked there; beyond {@value #RECHECK_RANGES} ranges, or in a range too large to read into
   * memory three times ({@code small} false: e.g. a table missing on one side), they are not.
   */
  synchronized void recheckLater(KeyRange range, List<String> keys, boolean small) {
    if (keys.isEmpty()) {
      return;
    }
    if (!small) {
      recheckTooLarge = true;
      return;
    }
    if (recheckRanges.size() >= RECHECK_RANGES) {
      recheckOverflow = true;
      return;
    }
    recheckRanges.add(range);
    keys.forEach(k -> recheckRangeOf.put(k, recheckRanges.size() - 1));
  }

  synchronized boolean hasDifferences() {
    return missing + extra + changed > 0;
  }

  /** The ranges to recheck, each with the displayed keys of its differences still standing. */
  synchronized Map<KeyRange, List<String>> recheckable() {
    Map<KeyRange, List<String>> out = new LinkedHashMap<>();
    recheckRangeOf.forEach(
        (key, index) -> {
          if (differs(key)) {
            out.computeIfAbsent(recheckRanges.get(index), r -> new ArrayList<>()).add(key);
          }
        });
    return out;
  }

  private boolean differs(String key) {
    return missingRows.containsKey(key) || extraRows.containsKey(key) || changedKeys.contains(key);
  }

  /** The row matched once the source had applied what the destination held: it was in flight. */
  synchronized void settled(String key) {
    if (removeDifference(key)) {
      settled++;
    }
  }

  /** The row kept changing on the destination through every recheck: it cannot be compared. */
  synchronized void unsettled(String key) {
    if (removeDifference(key)) {
      unsettled++;
      if (unsettledKeys.size() < EXAMPLES) {
        unsettledKeys.add(key);
      }
    }
  }

  private boolean removeDifference(String key) {
    if (missingRows.remove(key) != null) {
      missing--;
    } else if (extraRows.remove(key) != null) {
      extra--;
    } else if (changedKeys.remove(key)) {
      changed--;
    } else {
      return false;
    }
    recheckRangeOf.remove(key);
    return true;
  }

  /** The notes a recheck leaves: what it found in flight, what it could not compare, its limits. */
  synchronized void recheckDone(int rounds) {
    if (settled > 0) {
      note(
          settled
              + " row(s) that differed matched once the source had applied what the destination"
              + " held: application writes in flight through the reverse instance, not"
              + " differences");
    }
    if (unsettled > 0) {
      note(
          unsettled
              + " row(s) changed on the destination during each of "
              + rounds
              + " rechecks and could not be compared; not counted as differences (e.g. "
              + String.join(", ", unsettledKeys)
              + ")");
    }
    if (recheckTooLarge && hasDifferences()) {
      note(
          "differences in ranges too large to read row by row (a table or key range present on"
              + " one side only) were not rechecked");
    }
    if (recheckOverflow && hasDifferences()) {
      note(
          "differences in more than "
              + RECHECK_RANGES
              + " ranges: only those in the first "
              + RECHECK_RANGES
              + " were rechecked");
    }
  }

  synchronized void note(String note) {
    if (!notes.contains(note)) {
      notes.add(note);
    }
  }

  private long elapsedMs() {
    long now = endNanos >= 0 ? endNanos : System.nanoTime();
    return elapsedBeforeMs + (startNanos < 0 ? 0 : (now - startNanos) / 1_000_000);
  }

  synchronized TableProgress progress() {
    return new TableProgress(
        name,
        boundaries,
        RangeSet.format(done),
        sourceRows,
        destinationRows,
        changed,
        List.copyOf(changedKeys),
        missing,
        rowsOf(missingRows),
        extra,
        rowsOf(extraRows),
        elapsedMs(),
        finished,
        List.copyOf(notes));
  }

  private static List<KeyedRow> rowsOf(Map<String, String> rows) {
    List<KeyedRow> out = new ArrayList<>(rows.size());
    rows.forEach((k, h) -> out.add(new KeyedRow(k, h)));
    return out;
  }

  /**
   * Ends the table: a key found missing in one range and extra in another is the same row seen in
   * different ranges (the two sides order the key differently, e.g. collations of different library
   * versions); the same hash means the same row, a different hash a changed one.
   */
  synchronized void finish() {
    if (finished) {
      return;
    }
    if (missing > missingRows.size() || extra > extraRows.size()) {
      notes.add(
          "more than "
              + KEPT_ROWS
              + " rows differ: counts are exact, rows whose key falls in different ranges on the"
              + " two sides are matched only among the first "
              + KEPT_ROWS);
    }
    Iterator<Map.Entry<String, String>> it = missingRows.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, String> m = it.next();
      String other = extraRows.remove(m.getKey());
      if (other == null) {
        continue;
      }
      it.remove();
      missing--;
      extra--;
      if (!other.equals(m.getValue())) {
        changed(m.getKey());
      }
    }
    finished = true;
    if (endNanos < 0) {
      endNanos = System.nanoTime();
    }
  }

  synchronized TableRun result() {
    List<String> differences = new ArrayList<>();
    missingRows.keySet().forEach(k -> differences.add("missing " + k));
    extraRows.keySet().forEach(k -> differences.add("extra " + k));
    changedKeys.forEach(k -> differences.add("changed " + k));
    List<String> examples = new ArrayList<>(problems);
    int each = Math.max(1, (EXAMPLES - examples.size()) / 3);
    missingRows.keySet().stream().limit(each).forEach(k -> examples.add("missing " + k));
    extraRows.keySet().stream().limit(each).forEach(k -> examples.add("extra " + k));
    changedKeys.stream().limit(each).forEach(k -> examples.add("changed " + k));
    TableComparison comparison =
        new TableComparison(
            name, sourceRows, destinationRows, missing, extra, changed, List.copyOf(examples));
    int ranges =
        selected == null ? (boundaries == null ? 1 : rangeCount()) : selected.cardinality();
    if (!keyed()) {
      ranges = 1;
    }
    return new TableRun(
        comparison, ranges, resumedRanges, elapsedMs(), problems, notes, differences);
  }
}
