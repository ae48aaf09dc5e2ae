package dev.switchback.activities.validation;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One side's row hashes in ascending order, read on a thread of its own so that two sides can be
 * merged as they stream, in constant memory.
 */
final class HashStream implements AutoCloseable {
  record Entry(String hash, long rows) {}

  private static final Object END = new Object();

  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4096);
  private final Thread thread;
  private volatile boolean closed;

  HashStream(ValidationDialect dialect, Connection c, TableSide side) {
    thread =
        new Thread(
            () -> {
              Object last = END;
              try {
                dialect.multisetHashes(c, side, (hash, rows) -> put(new Entry(hash, rows)));
              } catch (SQLException | RuntimeException e) {
                last = e;
              }
              try {
                put(last);
              } catch (IllegalStateException closedMeanwhile) {
                // Nobody reads any more.
              }
            },
            "switchback-validation-hashes-" + side.field());
    thread.setDaemon(true);
    thread.start();
  }

  private void put(Object item) {
    try {
      while (!closed && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
        // The merge is slower than the database; wait for it, unless it gave up.
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (closed) {
      throw new IllegalStateException("hash stream closed");
    }
  }

  /** The next entry, or null at the end. */
  Entry next() throws SQLException, InterruptedException {
    Object item = queue.take();
    if (item == END) {
      queue.add(END);
      return null;
    }
    if (item instanceof SQLException e) {
      throw e;
    }
    if (item instanceof RuntimeException e) {
      throw e;
    }
    return (Entry) item;
  }

  @Override
  public void close() {
    closed = true;
    try {
      thread.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
