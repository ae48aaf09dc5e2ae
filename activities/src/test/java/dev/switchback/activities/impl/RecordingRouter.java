package dev.switchback.activities.impl;

import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A router that records its calls and can be made unreachable. */
final class RecordingRouter implements TrafficRouter {
  final List<String> calls = new CopyOnWriteArrayList<>();
  private final String name;
  volatile boolean fail;

  /** What {@link #preflight} answers. */
  volatile List<PreflightCheck> preflight = List.of();

  RecordingRouter(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  private RouterState answer(String call, Side target, boolean quiesced) {
    calls.add(call);
    if (fail) {
      throw new IllegalStateException("connection refused");
    }
    return new RouterState(target, quiesced, call);
  }

  @Override
  public RouterState quiesce(String cutoverId, CutoverPlan plan) {
    return answer("quiesce", Side.SOURCE, true);
  }

  @Override
  public RouterState point(String cutoverId, CutoverPlan plan, Side target) {
    return answer("point " + target, target, true);
  }

  @Override
  public RouterState resume(String cutoverId, CutoverPlan plan) {
    return answer("resume", null, false);
  }

  @Override
  public RouterState state(String cutoverId, CutoverPlan plan) {
    return answer("state", Side.SOURCE, false);
  }

  @Override
  public List<PreflightCheck> preflight(String cutoverId, CutoverPlan plan) {
    return preflight;
  }
}
