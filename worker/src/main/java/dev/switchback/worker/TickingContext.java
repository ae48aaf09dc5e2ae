package dev.switchback.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.uber.m3.tally.Scope;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.activity.ManualActivityCompletionClient;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.ActivityCompletionException;
import io.temporal.client.ActivityWorkerShutdownException;
import io.temporal.client.WorkflowClient;
import io.temporal.common.CancellationToken;
import java.lang.reflect.Type;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The activity's execution context as {@link HeartbeatTicker} hands it to the activity: it
 * remembers the details the activity last heartbeated, so a tick re-sends them, and it keeps the
 * previous attempt's details readable until the activity heartbeats itself (the SDK would otherwise
 * answer {@code getHeartbeatDetails} with the tick's details once a tick was sent).
 */
final class TickingContext implements ActivityExecutionContext {
  private static final Logger log = LoggerFactory.getLogger(TickingContext.class);

  private final ActivityExecutionContext delegate;
  private final Object lock = new Object();

  // Guarded by lock: an activity's own heartbeat and a tick never interleave, so the server's
  // last details are always the activity's latest, never a tick's stale copy.
  private boolean ownHeartbeat;
  private Object ownDetails;
  private boolean previousDecoded;
  private Object previousDetails;
  private Thread activityThread;
  private boolean ticking;
  private boolean interrupted;

  TickingContext(ActivityExecutionContext delegate) {
    this.delegate = delegate;
  }

  void startTicking(Thread thread) {
    synchronized (lock) {
      activityThread = thread;
      ticking = true;
    }
  }

  /**
   * Ends ticking; after this returns no tick interrupts the thread. An interrupt a tick set that
   * the activity did not consume is cleared, so it does not leak into the worker's next task.
   */
  void stopTicking() {
    synchronized (lock) {
      ticking = false;
      if (interrupted && Thread.currentThread() == activityThread) {
        Thread.interrupted();
      }
      activityThread = null;
    }
  }

  /** One tick: re-send the latest details; on a cancel, interrupt the activity's thread. */
  void tick() {
    synchronized (lock) {
      if (!ticking) {
        return;
      }
      try {
        delegate.heartbeat(ownHeartbeat ? ownDetails : previousDetails());
      } catch (ActivityWorkerShutdownException e) {
        // Graceful shutdown: activities in flight may finish within the grace period (the worker
        // interrupts them after it); the server no longer hears from this worker, so a step that
        // outlives the heartbeat timeout is retried elsewhere, as for a dead worker.
        ticking = false;
      } catch (ActivityCompletionException e) {
        // Cancelled (rollback, workflow cancel), timed out on the server, reset or paused: the
        // attempt's result is no longer wanted, so stop its blocking call where it can be stopped.
        ticking = false;
        interrupted = true;
        log.info(
            "activity {} ({}) {}: interrupting its thread",
            delegate.getInfo().getActivityType(),
            delegate.getInfo().getActivityId(),
            e instanceof ActivityCanceledException
                ? "was cancelled"
                : e.getClass().getSimpleName());
        activityThread.interrupt();
      } catch (RuntimeException e) {
        // The SDK already retries failed sends; a tick that failed otherwise must not end the
        // ticking (the next tick tries again) nor kill the scheduler's thread.
        log.warn("heartbeat tick failed: {}", e.toString());
      }
    }
  }

  /**
   * The previous attempt's details, decoded once as a JSON tree so a tick re-sends them as they
   * were (Switchback's details are JSON); null when there were none.
   */
  private Object previousDetails() {
    if (!previousDecoded) {
      previousDecoded = true;
      try {
        previousDetails = delegate.getLastHeartbeatDetails(JsonNode.class).orElse(null);
      } catch (RuntimeException e) {
        log.warn(
            "the previous attempt's heartbeat details of {} are not JSON ({}): ticks send none",
            delegate.getInfo().getActivityType(),
            e.toString());
      }
    }
    return previousDetails;
  }

  @Override
  public <V> void heartbeat(V details) throws ActivityCompletionException {
    synchronized (lock) {
      ownHeartbeat = true;
      ownDetails = details;
      delegate.heartbeat(details);
    }
  }

  @Override
  public <V> Optional<V> getHeartbeatDetails(Class<V> detailsClass) {
    return getHeartbeatDetails(detailsClass, detailsClass);
  }

  @Override
  public <V> Optional<V> getHeartbeatDetails(Class<V> detailsClass, Type detailsGenericType) {
    synchronized (lock) {
      return ownHeartbeat
          ? delegate.getHeartbeatDetails(detailsClass, detailsGenericType)
          : delegate.getLastHeartbeatDetails(detailsClass, detailsGenericType);
    }
  }

  @Override
  public <V> Optional<V> getLastHeartbeatDetails(Class<V> detailsClass) {
    return delegate.getLastHeartbeatDetails(detailsClass);
  }

  @Override
  public <V> Optional<V> getLastHeartbeatDetails(Class<V> detailsClass, Type detailsGenericType) {
    return delegate.getLastHeartbeatDetails(detailsClass, detailsGenericType);
  }

  @Override
  public ActivityInfo getInfo() {
    return delegate.getInfo();
  }

  @Override
  public byte[] getTaskToken() {
    return delegate.getTaskToken();
  }

  @Override
  public CancellationToken<ActivityCanceledException> getCancellationToken() {
    return delegate.getCancellationToken();
  }

  @Override
  public void doNotCompleteOnReturn() {
    delegate.doNotCompleteOnReturn();
  }

  @Override
  public boolean isDoNotCompleteOnReturn() {
    return delegate.isDoNotCompleteOnReturn();
  }

  @Override
  public boolean isUseLocalManualCompletion() {
    return delegate.isUseLocalManualCompletion();
  }

  @Override
  public ManualActivityCompletionClient useLocalManualCompletion() {
    return delegate.useLocalManualCompletion();
  }

  @Override
  public Scope getMetricsScope() {
    return delegate.getMetricsScope();
  }

  @Override
  public WorkflowClient getWorkflowClient() {
    return delegate.getWorkflowClient();
  }

  @Override
  public Object getInstance() {
    return delegate.getInstance();
  }
}
