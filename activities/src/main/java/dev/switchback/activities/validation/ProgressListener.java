package dev.switchback.activities.validation;

/**
 * Receives the validation's progress: after every range compared, and at least every few seconds
 * while a long query runs, so an activity can heartbeat it. Calls come from the validator's
 * threads, one at a time. An exception thrown here (an activity cancelled, a heartbeat that failed)
 * stops the validation, and {@link DataValidator} rethrows it unchanged.
 */
@FunctionalInterface
public interface ProgressListener {
  ProgressListener NONE = progress -> {};

  void onProgress(ValidationProgress progress);
}
