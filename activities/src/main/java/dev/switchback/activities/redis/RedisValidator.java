package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.ProgressListener;
import dev.switchback.activities.validation.Settler;
import dev.switchback.activities.validation.TableRun;
import dev.switchback.activities.validation.ValidationException;
import dev.switchback.activities.validation.ValidationProgress;
import dev.switchback.activities.validation.ValidationProgress.KeyedRow;
import dev.switchback.activities.validation.ValidationProgress.TableProgress;
import dev.switchback.activities.validation.ValidationRun;
import dev.switchback.messages.values.TableComparison;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.ValidationSpec;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Data validation for Redis: every key of the source's keyspace (or of each pattern listed in
 * {@code validation.tables}) looked up on the destination, and every key of the destination looked
 * up on the source. A key's digest is computed inside Redis by a script, type by type, from its
 * logical value: strings and lists in order, hashes, sets and sorted sets as an order-independent
 * sum of per-member SHA-1s (their iteration order depends on each server's encoding and history,
 * which DUMP would also expose), streams entry by entry, plus whether the key expires. Only digests
 * cross the network.
 *
 * <p>Limits: Redis has no snapshot, so validate while writes are stopped (during a cutover they
 * are); SCAN may return a key twice when the keyspace is resized meanwhile, which can count a key
 * twice in the totals but never as a difference twice; a key with millions of members is hashed in
 * one script call, blocking that server for its duration; no cluster mode. A restarted validation
 * starts over (a keyspace scan has no stable position to resume from).
 */
public final class RedisValidator {
  private static final String DIGEST_SCRIPT =
      String.join(
          "\n",
          "local function lp(s) return #s .. ':' .. s end",
          "local function add(acc, s)",
          "  local h = redis.sha1hex(s)",
          "  for i = 0, 3 do",
          "    acc[i + 1] = (acc[i + 1] + tonumber(string.sub(h, i * 8 + 1, i * 8 + 8), 16))"
              + " % 4294967296",
          "  end",
          "end",
          "local out = {}",
          "for i, k in ipairs(KEYS) do",
          "  local t = redis.call('TYPE', k)['ok']",
          "  if t == 'none' then",
          "    out[i] = ''",
          "  else",
          "    local body",
          "    if t == 'string' then",
          "      body = redis.sha1hex(redis.call('GET', k))",
          "    elseif t == 'list' then",
          "      local parts = {}",
          "      for _, v in ipairs(redis.call('LRANGE', k, 0, -1)) do parts[#parts + 1] = lp(v)"
              + " end",
          "      body = redis.sha1hex(table.concat(parts))",
          "    elseif t == 'hash' or t == 'set' or t == 'zset' then",
          "      local acc = {0, 0, 0, 0}",
          "      local n = 0",
          "      if t == 'set' then",
          "        for _, m in ipairs(redis.call('SMEMBERS', k)) do add(acc, lp(m)); n = n + 1 end",
          "      else",
          "        local a",
          "        if t == 'hash' then a = redis.call('HGETALL', k)",
          "        else a = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES') end",
          "        for j = 1, #a, 2 do add(acc, lp(a[j]) .. lp(a[j + 1])); n = n + 1 end",
          "      end",
          "      body = n .. ':' .. tostring(acc[1]) .. '.' .. tostring(acc[2]) .. '.'"
              + " .. tostring(acc[3]) .. '.' .. tostring(acc[4])",
          "    elseif t == 'stream' then",
          "      local parts = {}",
          "      for _, e in ipairs(redis.call('XRANGE', k, '-', '+')) do",
          "        parts[#parts + 1] = lp(e[1])",
          "        for _, f in ipairs(e[2]) do parts[#parts + 1] = lp(f) end",
          "      end",
          "      body = redis.sha1hex(table.concat(parts))",
          "    else",
          "      body = redis.sha1hex(redis.call('DUMP', k))",
          "    end",
          "    local expires = redis.call('PTTL', k) >= 0 and 'x' or 'p'",
          "    out[i] = t .. ':' .. expires .. ':' .. body",
          "  end",
          "end",
          "return out");

  private static final String EXISTS_SCRIPT =
      "local out = {} for i, k in ipairs(KEYS) do out[i] = redis.call('EXISTS', k) end return out";

  private static final int SCAN_COUNT = 1000;
  private static final int BATCH = 200;
  private static final int EXAMPLES = 10;
  private static final int KEPT = 3000;

  private final DataValidator.Options options;

  public RedisValidator(DataValidator.Options options) {
    this.options = options;
  }

  /** Compares the plan's two Redis endpoints; {@code spec.tables} are key patterns. */
  public ValidationRun run(
      Secrets secrets, CutoverPlan plan, ValidationSpec spec, ProgressListener listener) {
    return run(secrets, plan, spec, listener, null);
  }

  /**
   * As {@link #run(Secrets, CutoverPlan, ValidationSpec, ProgressListener)}; with a settler (the
   * reverse instance, after the switch) differing keys are rechecked once the source has applied
   * the destination's offset, so keys in flight are not reported (see {@link Settler}).
   */
  public ValidationRun run(
      Secrets secrets,
      CutoverPlan plan,
      ValidationSpec spec,
      ProgressListener listener,
      Settler settler) {
    long start = System.nanoTime();
    List<String> patterns = spec.tables().isEmpty() ? List.of("*") : spec.tables();
    try (Jedis source = open("source", plan.source(), secrets);
        Jedis destination = open("destination", plan.destination(), secrets)) {
      List<TableRun> runs = new ArrayList<>();
      String keyspace = "db" + database("source", plan.source());
      for (String pattern : patterns) {
        String table = pattern.equals("*") ? keyspace : keyspace + " " + pattern;
        runs.add(compare(table, pattern, source, destination, listener, runs, settler));
      }
      List<String> notes =
          List.of(
              settler == null
                  ? "Redis has no snapshot: keys written during the validation may show as"
                      + " different"
                  : "Redis has no snapshot: differing keys were rechecked against the reverse"
                      + " instance");
      return DataValidator.report(runs, notes, (System.nanoTime() - start) / 1_000_000);
    } catch (JedisException e) {
      throw new ValidationException("Redis validation failed: " + e.getMessage(), e);
    }
  }

  private TableRun compare(
      String table,
      String pattern,
      Jedis source,
      Jedis destination,
      ProgressListener listener,
      List<TableRun> before,
      Settler settler) {
    long start = System.nanoTime();
    long sourceKeys = 0;
    long destinationKeys = 0;
    long missing = 0;
    long extra = 0;
    long changed = 0;
    Set<ByteBuffer> differing = new HashSet<>();
    // The first differing keys, with their kind, for the recheck and the report.
    Map<ByteBuffer, String> kept = new LinkedHashMap<>();
    ScanParams params = new ScanParams().match(pattern).count(SCAN_COUNT);
    byte[] script = DIGEST_SCRIPT.getBytes(StandardCharsets.UTF_8);
    byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
    long lastReport = System.nanoTime();
    do {
      ScanResult<byte[]> page = source.scan(cursor, params);
      cursor = page.getCursorAsBytes();
      for (List<byte[]> batch : batches(page.getResult())) {
        List<byte[]> s = strings(source.eval(script, batch, List.of()));
        List<byte[]> d = strings(destination.eval(script, batch, List.of()));
        for (int i = 0; i < batch.size(); i++) {
          if (s.get(i).length == 0) {
            continue; // gone from the source since the scan saw it
          }
          sourceKeys++;
          boolean absent = d.get(i).length == 0;
          if ((absent || !java.util.Arrays.equals(s.get(i), d.get(i)))
              && differing.add(ByteBuffer.wrap(batch.get(i)))) {
            if (absent) {
              missing++;
            } else {
              changed++;
            }
            keep(kept, batch.get(i), absent ? MISSING : CHANGED);
          }
        }
      }
      lastReport = progress(listener, lastReport, before, table, sourceKeys, destinationKeys);
    } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    byte[] exists = EXISTS_SCRIPT.getBytes(StandardCharsets.UTF_8);
    cursor = ScanParams.SCAN_POINTER_START_BINARY;
    do {
      ScanResult<byte[]> page = destination.scan(cursor, params);
      cursor = page.getCursorAsBytes();
      for (List<byte[]> batch : batches(page.getResult())) {
        List<?> onSource = (List<?>) source.eval(exists, batch, List.of());
        for (int i = 0; i < batch.size(); i++) {
          destinationKeys++;
          if (((Number) onSource.get(i)).longValue() == 0
              && differing.add(ByteBuffer.wrap(batch.get(i)))) {
            extra++;
            keep(kept, batch.get(i), EXTRA);
          }
        }
      }
      lastReport = progress(listener, lastReport, before, table, sourceKeys, destinationKeys);
    } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    List<String> notes = new ArrayList<>();
    if (settler != null && !kept.isEmpty()) {
      long[] done = {sourceKeys, destinationKeys};
      Map<String, Long> removed =
          recheck(
              source,
              destination,
              kept,
              settler,
              notes,
              () -> progress(listener, 0, before, table, done[0], done[1]));
      missing -= removed.getOrDefault(MISSING, 0L);
      extra -= removed.getOrDefault(EXTRA, 0L);
      changed -= removed.getOrDefault(CHANGED, 0L);
    }
    List<String> examples = new ArrayList<>();
    List<String> differences = new ArrayList<>();
    kept.forEach((key, kind) -> note(examples, differences, kind + " key " + text(key.array())));
    TableComparison comparison =
        new TableComparison(
            table, sourceKeys, destinationKeys, missing, extra, changed, List.copyOf(examples));
    return new TableRun(
        comparison, 1, 0, (System.nanoTime() - start) / 1_000_000, List.of(), notes, differences);
  }

  private static final String MISSING = "missing";
  private static final String EXTRA = "extra";
  private static final String CHANGED = "changed";

  private static void keep(Map<ByteBuffer, String> kept, byte[] key, String kind) {
    if (kept.size() < KEPT) {
      kept.put(ByteBuffer.wrap(key), kind);
    }
  }

  /**
   * Rechecks the kept differing keys (see {@link Settler}): destination digests, the destination's
   * offset, a wait until the source applied it, source digests, destination digests again. Keys
   * that match are removed from {@code kept}; keys rewritten on the destination through every round
   * are removed and named in a note.
   *
   * @return keys removed, by kind
   */
  private static Map<String, Long> recheck(
      Jedis source,
      Jedis destination,
      Map<ByteBuffer, String> kept,
      Settler settler,
      List<String> notes,
      Runnable tick) {
    byte[] script = DIGEST_SCRIPT.getBytes(StandardCharsets.UTF_8);
    Map<String, Long> removed = new HashMap<>();
    long settled = 0;
    List<byte[]> pending = kept.keySet().stream().map(ByteBuffer::array).toList();
    List<String> unsettled = new ArrayList<>();
    for (int round = 1; round <= RECHECK_ROUNDS && !pending.isEmpty(); round++) {
      List<byte[]> before = digests(destination, script, pending);
      String position = settler.position();
      if (position == null) {
        notes.add("differences not rechecked: the migration provider has no exact position");
        break;
      }
      long deadline = System.nanoTime() + settler.maxWait().toNanos();
      while (!settler.reached(position)) {
        if (System.nanoTime() > deadline) {
          notes.add(
              "differences not rechecked: the source did not reach the destination's offset "
                  + position
                  + " within "
                  + settler.maxWait().toSeconds()
                  + " s");
          pending = List.of();
          break;
        }
        tick.run();
        sleep();
      }
      if (pending.isEmpty()) {
        break;
      }
      List<byte[]> onSource = digests(source, script, pending);
      List<byte[]> after = digests(destination, script, pending);
      List<byte[]> churning = new ArrayList<>();
      for (int i = 0; i < pending.size(); i++) {
        ByteBuffer key = ByteBuffer.wrap(pending.get(i));
        if (Arrays.equals(onSource.get(i), before.get(i))) {
          removed.merge(kept.remove(key), 1L, Long::sum);
          settled++;
        } else if (!Arrays.equals(before.get(i), after.get(i))) {
          if (round == RECHECK_ROUNDS) {
            removed.merge(kept.remove(key), 1L, Long::sum);
            if (unsettled.size() < EXAMPLES) {
              unsettled.add(text(pending.get(i)));
            }
          } else {
            churning.add(pending.get(i));
          }
        }
      }
      pending = churning;
    }
    if (settled > 0) {
      notes.add(
          settled
              + " key(s) that differed matched once the source had applied the destination's"
              + " offset: writes in flight through the reverse instance, not differences");
    }
    if (!unsettled.isEmpty()) {
      notes.add(
          "key(s) changed on the destination during each of "
              + RECHECK_ROUNDS
              + " rechecks and could not be compared; not counted as differences (e.g. "
              + String.join(", ", unsettled)
              + ")");
    }
    return removed;
  }

  private static final int RECHECK_ROUNDS = 3;

  private static List<byte[]> digests(Jedis j, byte[] script, List<byte[]> keys) {
    List<byte[]> out = new ArrayList<>(keys.size());
    for (List<byte[]> batch : batches(keys)) {
      out.addAll(strings(j.eval(script, batch, List.of())));
    }
    return out;
  }

  private static void sleep() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ValidationException("validation interrupted", e);
    }
  }

  private long progress(
      ProgressListener listener,
      long lastReport,
      List<TableRun> before,
      String table,
      long sourceKeys,
      long destinationKeys) {
    if (System.nanoTime() - lastReport < options.progressInterval().toNanos()) {
      return lastReport;
    }
    List<TableProgress> tables = new ArrayList<>();
    for (TableRun r : before) {
      TableComparison c = r.comparison();
      tables.add(
          new TableProgress(
              c.table(),
              List.of(),
              "0",
              c.sourceRows(),
              c.destinationRows(),
              c.changed(),
              List.of(),
              c.missing(),
              List.<KeyedRow>of(),
              c.extra(),
              List.of(),
              r.durationMs(),
              true,
              List.of()));
    }
    tables.add(
        new TableProgress(
            table,
            null,
            "",
            sourceKeys,
            destinationKeys,
            0,
            List.of(),
            0,
            List.of(),
            0,
            List.of(),
            0,
            false,
            List.of()));
    listener.onProgress(new ValidationProgress(tables));
    return System.nanoTime();
  }

  private static List<List<byte[]>> batches(List<byte[]> keys) {
    List<List<byte[]>> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i += BATCH) {
      out.add(keys.subList(i, Math.min(i + BATCH, keys.size())));
    }
    return out;
  }

  private static List<byte[]> strings(Object reply) {
    List<byte[]> out = new ArrayList<>();
    for (Object o : (List<?>) reply) {
      out.add(o == null ? new byte[0] : (byte[]) o);
    }
    return out;
  }

  private static void note(List<String> examples, List<String> differences, String difference) {
    if (examples.size() < EXAMPLES) {
      examples.add(difference);
    }
    if (differences.size() < KEPT) {
      differences.add(difference);
    }
  }

  private static String text(byte[] key) {
    String s = new String(key, StandardCharsets.UTF_8);
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }

  private static Jedis open(String field, EndpointSpec endpoint, Secrets secrets) {
    URI uri = uri(field, endpoint);
    DefaultJedisClientConfig.Builder config =
        DefaultJedisClientConfig.builder()
            .database(database(field, endpoint))
            .clientName(Connections.APPLICATION_NAME)
            .timeoutMillis(60_000);
    if ("rediss".equals(uri.getScheme())) {
      config.sslOptions(SslOptions.defaults());
    }
    if (endpoint.user() != null) {
      config.user(endpoint.user());
    }
    String password = secrets.resolve(field + ".password", endpoint.password());
    if (password != null) {
      config.password(password);
    }
    int port = uri.getPort() < 0 ? 6379 : uri.getPort();
    return new Jedis(new HostAndPort(uri.getHost(), port), config.build());
  }

  private static int database(String field, EndpointSpec endpoint) {
    String path = uri(field, endpoint).getPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return 0;
    }
    try {
      return Integer.parseInt(path.substring(1));
    } catch (NumberFormatException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          field + ".url: '" + path + "' is not a database number; write redis://host:port/0",
          FailureTypes.INVALID_PLAN);
    }
  }

  private static URI uri(String field, EndpointSpec endpoint) {
    try {
      URI uri = new URI(endpoint.url());
      if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw new URISyntaxException(endpoint.url(), "not redis://host:port/db");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          field + ".url: '" + endpoint.url() + "' is not a Redis URL; write redis://host:port/db",
          FailureTypes.INVALID_PLAN);
    }
  }
}
