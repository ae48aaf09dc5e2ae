package dev.switchback.activities.validation;

import java.util.Objects;

/** A range's row count and the hash of its rows' canonical text, computed by the database. */
public record Digest(long rows, String hash) {
  public Digest {
    hash = hash == null ? "" : hash;
  }

  public boolean sameAs(Digest other) {
    return rows == other.rows && Objects.equals(hash, other.hash);
  }
}
