package dev.switchback.cli;

import dev.switchback.cli.ConnectionOptions.Temporal;
import dev.switchback.messages.values.CutoverReport;
import dev.switchback.workflow.CutoverWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowTargetOptions;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.payload.codec.PayloadCodecException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** What the commands do with a running cutover, with Temporal's errors turned into answers. */
final class Cutovers {
  static final Duration UPDATE_TIMEOUT = Duration.ofSeconds(20);

  private Cutovers() {}

  static CutoverWorkflow stub(Temporal t, String id) {
    return t.client().newWorkflowStub(CutoverWorkflow.class, id);
  }

  /**
   * The cutover's current run, and the run id a signed request for it is signed for: the one it
   * started with (its original run id, unchanged by a reset), from its first history event.
   */
  record Run(String runId, String signedRunId) {}

  static Run run(Temporal t, String id) {
    String current = describe(t, id).getExecution().getRunId();
    try (Stream<HistoryEvent> events = t.client().streamHistory(id, current)) {
      String original =
          events
              .findFirst()
              .map(e -> e.getWorkflowExecutionStartedEventAttributes().getOriginalExecutionRunId())
              .filter(r -> !r.isEmpty())
              .orElse(current);
      return new Run(current, original);
    } catch (RuntimeException e) {
      throw translate(t, id, e);
    }
  }

  /** A stub for {@code run} (any run when null): a request signed for it goes nowhere else. */
  static CutoverWorkflow stub(Temporal t, String id, Run run) {
    return t.client()
        .newWorkflowStub(
            CutoverWorkflow.class,
            WorkflowTargetOptions.newBuilder()
                .setWorkflowId(id)
                .setRunId(run == null ? null : run.runId())
                .build());
  }

  static WorkflowExecutionDescription describe(Temporal t, String id) {
    try {
      return t.client().newUntypedWorkflowStub(id).describe();
    } catch (RuntimeException e) {
      throw translate(t, id, e);
    }
  }

  static boolean running(WorkflowExecutionDescription d) {
    return d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  /** How an ended cutover ended: its report, or why there is none. */
  record Ended(CutoverReport report, String failure) {}

  static Ended result(Temporal t, String id) {
    try {
      return new Ended(t.client().newUntypedWorkflowStub(id).getResult(CutoverReport.class), null);
    } catch (WorkflowFailedException e) {
      return new Ended(null, "the cutover workflow " + describeFailure(e));
    } catch (RuntimeException e) {
      throw translate(t, id, e);
    }
  }

  /**
   * Runs an Update; a rejection by the workflow's validator is bad input (exit 2, nothing changed)
   * and carries the validator's words.
   */
  static <T> T update(Temporal t, String id, String what, Supplier<T> call) {
    // The SDK waits for the Update's result as long as it takes; with no worker polling that is
    // for ever, so the wait is bounded here. The pool's threads are daemons: exiting is not held.
    CompletableFuture<T> pending = CompletableFuture.supplyAsync(call);
    try {
      return pending.get(UPDATE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw new CliException(
          CliException.FAILURE,
          "the cutover did not answer the "
              + what
              + " within "
              + UPDATE_TIMEOUT.toSeconds()
              + "s: is a worker polling task queue "
              + CutoverWorkflow.TASK_QUEUE
              + "? (switchback worker). The request may still be applied when one does: check"
              + " with `switchback status --id "
              + id
              + "`",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(CliException.FAILURE, "interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof WorkflowUpdateException u) {
        throw CliException.badInput(what + " refused: " + innermostMessage(u));
      }
      if (cause instanceof RuntimeException r) {
        throw translate(t, id, r);
      }
      throw new CliException(CliException.FAILURE, innermostMessage(cause), cause);
    }
  }

  static CliException translate(Temporal t, String id, RuntimeException e) {
    if (e instanceof CliException c) {
      return c;
    }
    StatusRuntimeException status = find(e, StatusRuntimeException.class);
    if (e instanceof WorkflowNotFoundException
        || (status != null && status.getStatus().getCode() == Status.Code.NOT_FOUND)) {
      return new CliException(
          CliException.BAD_INPUT,
          "no running cutover "
              + id
              + " in namespace "
              + t.settings().namespace()
              + " (check the id, cutover-<plan name>, and --namespace)",
          e);
    }
    if (status != null
        && (status.getStatus().getCode() == Status.Code.UNAVAILABLE
            || status.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED)) {
      return new CliException(
          CliException.FAILURE,
          "Temporal at "
              + t.settings()
              + " did not answer ("
              + status.getStatus().getCode()
              + "): is it running, and is a worker polling task queue "
              + CutoverWorkflow.TASK_QUEUE
              + "? (switchback worker)",
          e);
    }
    return new CliException(CliException.FAILURE, innermostMessage(e), e);
  }

  static String describeFailure(WorkflowFailedException e) {
    Throwable cause = e.getCause();
    if (cause instanceof TerminatedFailure) {
      return "was terminated: " + innermostMessage(e);
    }
    if (cause instanceof CanceledFailure) {
      return "was cancelled";
    }
    if (cause instanceof TimeoutFailure) {
      return "timed out";
    }
    return "failed: " + innermostMessage(e);
  }

  /**
   * True when {@code e} comes from payloads this process cannot decrypt (keys missing or wrong).
   */
  static boolean payloadProblem(Throwable e) {
    return find(e, PayloadCodecException.class) != null;
  }

  /**
   * The most specific message: a failure's original message, without Temporal's decorations; for
   * payloads this process cannot decrypt, the codec's words (which key, which setting).
   */
  static String innermostMessage(Throwable e) {
    PayloadCodecException codec = find(e, PayloadCodecException.class);
    if (codec != null) {
      return "cannot read the cutover's payloads: " + codec.getMessage();
    }
    String message = null;
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof TemporalFailure f && f.getOriginalMessage() != null) {
        message = f.getOriginalMessage();
      } else if (message == null && c.getMessage() != null) {
        message = c.getMessage();
      }
    }
    return message == null ? e.toString() : message;
  }

  private static <X extends Throwable> X find(Throwable e, Class<X> type) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }
}
