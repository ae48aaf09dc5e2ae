package dev.switchback.activities.router;

/**
 * The application's admin endpoint could not be reached or answered with a server error: Temporal
 * retries the router call (every call of the webhook contract is idempotent).
 */
public class RouterUnavailableException extends RuntimeException {
  public RouterUnavailableException(String message) {
    super(message);
  }

  public RouterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
