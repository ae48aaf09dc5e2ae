package dev.switchback.activities.validation;

import java.util.List;

/**
 * Where a validation stands, small enough to be an activity's heartbeat details and complete enough
 * to resume from after a worker restart: per table, the key ranges it was split into, which of them
 * are compared, and what was found so far. A resumed validation takes new snapshots, so ranges done
 * before the restart were read at an earlier point; during a cutover writes are stopped, so both
 * points hold the same data.
 */
public record ValidationProgress(List<TableProgress> tables) {

  public ValidationProgress {
    tables = tables == null ? List.of() : List.copyOf(tables);
  }

  /** The entry for {@code table}, or null. */
  public TableProgress table(String table) {
    return tables.stream().filter(t -> t.table().equals(table)).findFirst().orElse(null);
  }

  /** Ranges compared so far over all tables. */
  public long rangesDone() {
    return tables.stream().mapToLong(TableProgress::rangesDone).sum();
  }

  /**
   * One table's state.
   *
   * @param table the table as reported ({@code schema.table})
   * @param boundaries the keys that split the table into ranges: range 0 is below the first, range
   *     i lies from boundary i-1 (inclusive) to boundary i (exclusive), the last is from the last
   *     boundary up; each key is its columns rendered as text. Null until the table is split.
   * @param done the ranges compared, as {@code 0-4,7}
   * @param sourceRows rows read on the source in the compared ranges
   * @param destinationRows rows read on the destination in the compared ranges
   * @param changed rows found on both sides with different content
   * @param changedKeys the first of those keys
   * @param missing rows found only on the source
   * @param missingRows the first of those, with their row hash (rows of a key that moved between
   *     ranges are matched up when the table finishes)
   * @param extra rows found only on the destination
   * @param extraRows the first of those, with their row hash
   * @param elapsedMs time spent on this table before this snapshot
   * @param finished every selected range is compared and the result is final
   * @param notes what the operator should know about how this table was compared
   */
  public record TableProgress(
      String table,
      List<List<String>> boundaries,
      String done,
      long sourceRows,
      long destinationRows,
      long changed,
      List<String> changedKeys,
      long missing,
      List<KeyedRow> missingRows,
      long extra,
      List<KeyedRow> extraRows,
      long elapsedMs,
      boolean finished,
      List<String> notes) {

    public TableProgress {
      done = done == null ? "" : done;
      changedKeys = changedKeys == null ? List.of() : List.copyOf(changedKeys);
      missingRows = missingRows == null ? List.of() : List.copyOf(missingRows);
      extraRows = extraRows == null ? List.of() : List.copyOf(extraRows);
      notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** Ranges compared so far. */
    public int rangesDone() {
      return RangeSet.parse(done).cardinality();
    }

    /** Ranges this table is split into, or 0 before it is split. */
    public int ranges() {
      return boundaries == null ? 0 : boundaries.size() + 1;
    }
  }

  /** A row found on one side only: its key as displayed and the hash of its canonical text. */
  public record KeyedRow(String key, String hash) {}
}
