package dev.switchback.activities.validation;

/**
 * A range's rows did not fit in one in-database aggregate (MySQL's max_allowed_packet, PostgreSQL's
 * 1 GB text limit); the range is split and compared in smaller pieces.
 */
public class RangeTooLargeException extends Exception {
  public RangeTooLargeException(String message) {
    super(message);
  }
}
