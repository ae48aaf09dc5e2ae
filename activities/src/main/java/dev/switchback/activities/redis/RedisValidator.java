package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.activities.validation.DataValidator;
import dev.switchback.activities.validation.ProgressListener;
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
import java.util.HashSet;
import java.util.List;
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
    long start = System.nanoTime();
    List<String> patterns = spec.tables().isEmpty() ? List.of("*") : spec.tables();
    try (Jedis source = open("source", plan.source(), secrets);
        Jedis destination = open("destination", plan.destination(), secrets)) {
      List<TableRun> runs = new ArrayList<>();
      String keyspace = "db" + database("source", plan.source());
      for (String pattern : patterns) {
        String table = pattern.equals("*") ? keyspace : keyspace + " " + pattern;
        runs.add(compare(table, pattern, source, destination, listener, runs));
      }
      List<String> notes =
          List.of(
              "Redis has no snapshot: keys written during the validation may show as different");
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
      List<TableRun> before) {
    long start = System.nanoTime();
    long sourceKeys = 0;
    long destinationKeys = 0;
    long missing = 0;
    long extra = 0;
    long changed = 0;
    Set<ByteBuffer> differing = new HashSet<>();
    List<String> examples = new ArrayList<>();
    List<String> differences = new ArrayList<>();
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
            note(
                examples,
                differences,
                (absent ? "missing key " : "changed key ") + text(batch.get(i)));
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
            note(examples, differences, "extra key " + text(batch.get(i)));
          }
        }
      }
      lastReport = progress(listener, lastReport, before, table, sourceKeys, destinationKeys);
    } while (!java.util.Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
    TableComparison comparison =
        new TableComparison(
            table, sourceKeys, destinationKeys, missing, extra, changed, List.copyOf(examples));
    return new TableRun(
        comparison,
        1,
        0,
        (System.nanoTime() - start) / 1_000_000,
        List.of(),
        List.of(),
        differences);
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
