package dev.switchback.activities.impl;

import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.messages.values.Direction;
import dev.switchback.messages.values.InstanceState;
import dev.switchback.messages.values.PreflightCheck;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/**
 * A scripted migration instance for the orchestration tests: what it reports is a function of the
 * fake clock's elapsed time, so each test writes the timeline it needs.
 */
final class FakeProvider implements MigrationProvider {
  final FakeClock clock;
  final String name;
  volatile LongFunction<InstanceState> forward;
  volatile LongFunction<InstanceState> reverse = t -> state("rev", "NOT_FOUND", false, null);

  /** The writer position after the fence; null behaves like DTS (no exact position). */
  volatile String writerPosition;

  /** When (elapsed ms) the instance confirms the writer position. */
  volatile long drainedAt = Long.MAX_VALUE;

  /** When (elapsed ms) a pause request takes effect; MAX_VALUE never. */
  volatile long pauseTakes = 0;

  volatile long pausedAt = Long.MAX_VALUE;
  volatile long reverseRunningAfter = 0;
  volatile long reverseCreatedAt = Long.MAX_VALUE;
  final AtomicInteger describes = new AtomicInteger();
  final AtomicInteger writerPositionCalls = new AtomicInteger();
  final AtomicInteger pauses = new AtomicInteger();
  final AtomicInteger creates = new AtomicInteger();
  final AtomicInteger terminates = new AtomicInteger();
  volatile List<PreflightCheck> preflight = List.of(new PreflightCheck("provider ok", true, "ok"));

  FakeProvider(FakeClock clock, String name) {
    this.clock = clock;
    this.name = name;
  }

  static InstanceState state(String instance, String status, boolean incremental, Long latency) {
    return new InstanceState(instance, status, incremental, latency, null, null, null);
  }

  static InstanceState running(long latencyMs) {
    return state("mig", "RUNNING", true, latencyMs);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public InstanceState describe(MigrationContext ctx, Direction direction) {
    describes.incrementAndGet();
    long t = clock.elapsed();
    if (direction == Direction.REVERSE) {
      if (t >= reverseCreatedAt) {
        return t >= reverseCreatedAt + reverseRunningAfter
            ? state("rev", "RUNNING", true, 0L)
            : state("rev", "STARTING", true, null);
      }
      return reverse.apply(t);
    }
    if (t >= pausedAt) {
      return state("mig", "PAUSED", true, null);
    }
    InstanceState s = forward.apply(t);
    if (writerPosition != null && t >= drainedAt) {
      return new InstanceState(
          s.instance(), s.status(), s.incremental(), 0L, 0L, writerPosition, s.detail());
    }
    return s;
  }

  @Override
  public String writerPosition(MigrationContext ctx, Direction direction) {
    writerPositionCalls.incrementAndGet();
    return writerPosition;
  }

  @Override
  public boolean drained(MigrationContext ctx, Direction direction, String target) {
    return clock.elapsed() >= drainedAt && target.equals(writerPosition);
  }

  @Override
  public void pause(MigrationContext ctx, Direction direction) {
    pauses.incrementAndGet();
    if (pauseTakes != Long.MAX_VALUE && pausedAt == Long.MAX_VALUE) {
      pausedAt = clock.elapsed() + pauseTakes;
    }
  }

  @Override
  public void createReverseIncremental(MigrationContext ctx) {
    creates.incrementAndGet();
    if (reverseCreatedAt == Long.MAX_VALUE) {
      reverseCreatedAt = clock.elapsed();
    }
  }

  @Override
  public void terminate(MigrationContext ctx, Direction direction) {
    terminates.incrementAndGet();
    forward = t -> state("mig", "NOT_FOUND", false, null);
  }

  @Override
  public List<PreflightCheck> preflight(MigrationContext ctx) {
    return preflight;
  }
}
