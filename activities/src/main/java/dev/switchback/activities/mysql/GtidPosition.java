package dev.switchback.activities.mysql;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A MariaDB GTID position: the last GTID ({@code domain-server-seq}) per replication domain, as in
 * {@code gtid_binlog_pos}, {@code gtid_slave_pos} or {@code BINLOG_GTID_POS()}. Within a domain
 * sequence numbers only grow (gtid_strict_mode), so one position covers another when every domain
 * of the other is present with a sequence number at least as high.
 */
public record GtidPosition(Map<Long, Gtid> domains) {

  /** One GTID. */
  public record Gtid(long domain, long server, long seq) {
    @Override
    public String toString() {
      return domain + "-" + server + "-" + seq;
    }
  }

  public GtidPosition {
    domains = Collections.unmodifiableMap(new TreeMap<>(domains));
  }

  public static GtidPosition empty() {
    return new GtidPosition(Map.of());
  }

  /**
   * Parses {@code 0-1-100,1-2-5}; blank is the empty position. Where a domain appears twice (a
   * binlog state lists one GTID per domain and server) the highest sequence number wins.
   *
   * @throws IllegalArgumentException naming the part that is not a GTID
   */
  public static GtidPosition parse(String text) {
    Map<Long, Gtid> out = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return new GtidPosition(out);
    }
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      String[] f = p.split("-");
      if (f.length != 3) {
        throw new IllegalArgumentException(
            "'" + p + "' is not a MariaDB GTID (domain-server-sequence)");
      }
      Gtid g;
      try {
        g = new Gtid(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "'" + p + "' is not a MariaDB GTID (domain-server-sequence)", e);
      }
      out.merge(g.domain(), g, (a, b) -> a.seq() >= b.seq() ? a : b);
    }
    return new GtidPosition(out);
  }

  public boolean isEmpty() {
    return domains.isEmpty();
  }

  /** Per domain, the GTID with the higher sequence number of the two. */
  public GtidPosition merge(GtidPosition other) {
    Map<Long, Gtid> out = new TreeMap<>(domains);
    other.domains.forEach((d, g) -> out.merge(d, g, (a, b) -> a.seq() >= b.seq() ? a : b));
    return new GtidPosition(out);
  }

  /** This position with {@code other}'s GTID in every domain {@code other} has. */
  public GtidPosition override(GtidPosition other) {
    Map<Long, Gtid> out = new TreeMap<>(domains);
    out.putAll(other.domains);
    return new GtidPosition(out);
  }

  /** Whether every domain of {@code other} is here with a sequence number at least as high. */
  public boolean covers(GtidPosition other) {
    return missing(other).isEmpty();
  }

  /** The part of {@code other} this position does not cover. */
  public GtidPosition missing(GtidPosition other) {
    Map<Long, Gtid> out = new TreeMap<>();
    other.domains.forEach(
        (d, g) -> {
          Gtid mine = domains.get(d);
          if (mine == null || mine.seq() < g.seq()) {
            out.put(d, g);
          }
        });
    return new GtidPosition(out);
  }

  /** Domains where this position is ahead of {@code other}, which has them at a lower number. */
  public GtidPosition aheadOf(GtidPosition other) {
    Map<Long, Gtid> out = new TreeMap<>();
    domains.forEach(
        (d, g) -> {
          Gtid theirs = other.domains.get(d);
          if (theirs != null && theirs.seq() < g.seq()) {
            out.put(d, g);
          }
        });
    return new GtidPosition(out);
  }

  @Override
  public String toString() {
    return domains.values().stream().map(Gtid::toString).collect(Collectors.joining(","));
  }
}
