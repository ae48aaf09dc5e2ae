package dev.switchback.activities.impl;

import dev.switchback.activities.spi.DatabaseEngine;
import dev.switchback.activities.spi.EngineContext;
import dev.switchback.messages.values.FenceResult;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.SessionInfo;
import dev.switchback.messages.values.Side;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongFunction;

/** A scripted database engine: its sessions are a function of the fake clock's elapsed time. */
final class FakeEngine implements DatabaseEngine {
  final FakeClock clock;
  final String name;
  volatile LongFunction<List<SessionInfo>> writers = t -> List.of();
  volatile List<PreflightCheck> preflight = List.of(new PreflightCheck("reachable", true, "ok"));

  /** What revokeWrite throws on a side, when set (a write path left, an unknown account). */
  final Map<Side, RuntimeException> revokeFails = new ConcurrentHashMap<>();

  /** Every call as "method side [argument]", in order. */
  final List<String> calls = new CopyOnWriteArrayList<>();

  FakeEngine(FakeClock clock, String name) {
    this.clock = clock;
    this.name = name;
  }

  static SessionInfo writer(String id, String user, String client, String state) {
    return new SessionInfo(id, user, client, "app", state, true, "UPDATE orders ...");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Sessions listSessions(EngineContext ctx) {
    calls.add("listSessions " + ctx.side());
    return new Sessions(
        writers.apply(clock.elapsed()),
        List.of(new SessionInfo("9", "app", "10.0.0.9", "app", "idle", false, null)),
        2);
  }

  @Override
  public FenceResult fenceWrites(EngineContext ctx) {
    calls.add("fenceWrites " + ctx.side());
    return new FenceResult(ctx.side(), "fake fence", 1, "fenced " + ctx.endpoint().url());
  }

  @Override
  public FenceResult unfenceWrites(EngineContext ctx) {
    calls.add("unfenceWrites " + ctx.side());
    return new FenceResult(ctx.side(), "fake fence", 0, "lifted " + ctx.endpoint().url());
  }

  @Override
  public String revokeWrite(EngineContext ctx, String account) {
    calls.add("revokeWrite " + ctx.side() + " " + account);
    RuntimeException fails = revokeFails.get(ctx.side());
    if (fails != null) {
      throw fails;
    }
    return "revoked " + account;
  }

  @Override
  public List<PreflightCheck> preflight(EngineContext ctx) {
    calls.add("preflight " + ctx.side());
    return preflight;
  }
}
