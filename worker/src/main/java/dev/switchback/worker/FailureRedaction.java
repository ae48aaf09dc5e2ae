package dev.switchback.worker;

import dev.switchback.activities.support.Secrets;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;

/**
 * Every activity failure leaves the worker with the secrets it resolved {@link
 * Secrets#redact(RuntimeException) redacted}: a driver or the JDK quotes what it was given (a
 * refused header value, a connection string), and Temporal writes each message of the failure and
 * its causes into history. This is the one place every activity failure passes.
 *
 * <p>Registered for every worker by {@link Wiring#workerFactoryOptions(HeartbeatTicker, Secrets)}.
 */
final class FailureRedaction extends WorkerInterceptorBase {
  private final Secrets secrets;

  FailureRedaction(Secrets secrets) {
    this.secrets = secrets;
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new ActivityInboundCallsInterceptorBase(next) {
      @Override
      public ActivityOutput execute(ActivityInput input) {
        try {
          return super.execute(input);
        } catch (RuntimeException e) {
          throw secrets.redact(e);
        }
      }
    };
  }
}
