package dev.switchback.demo;

import dev.switchback.activities.spi.MigrationProvider;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * One engine's part of the fault suite: its own pair of lab servers ({@code deploy/lab/faults.sh},
 * never the shared lab), the demo lab on them, the locks that hold a phase, and what a cutover may
 * leave behind.
 */
interface FaultLab {

  /** {@code postgres} or {@code mariadb}: the engine name {@code deploy/lab/faults.sh} takes. */
  String engine();

  /** The demo lab on the fault suite's servers. */
  DemoLab demo();

  MigrationProvider provider();

  /** The plan's last touches for this engine (the demo's plan is the base). */
  default CutoverPlan adjust(CutoverPlan plan) {
    return plan;
  }

  /** Runs after the forward instance exists, before the cutover starts. */
  default void afterForward() throws SQLException {}

  /** An admin connection to the demo database on {@code side}. */
  Connection admin(Side side) throws SQLException;

  /** A lock on the orders table: the side's writers (application, or an instance) wait. */
  Hold lockOrders(Side side) throws SQLException;

  /** What holds the start of the reverse instance in one call. */
  Hold holdReverseStart() throws SQLException;

  /** What holds a finalize step in one call. */
  Hold holdFinalize() throws SQLException;

  /** A smoke test statement that takes {@code seconds}. */
  String sleepSql(int seconds);

  /** The first column a smoke test's sleep statement returns. */
  String sleepResult();

  /**
   * Instances and replication objects on both servers, as {@code "source: slot sb_x"}: whatever is
   * there, expected or not; {@link Leftovers} decides.
   */
  List<String> replicationObjects() throws SQLException;

  /** Whether the application's account can write on {@code side} (false: fenced). */
  boolean applicationCanWrite(Side side) throws SQLException;

  /** Stops one of the suite's servers with the project's script. */
  default void stop(Path repository, Side side) throws Exception {
    server(repository, "stop", side);
  }

  /** Starts it again, waiting until it accepts connections. */
  default void start(Path repository, Side side) throws Exception {
    server(repository, "start", side);
  }

  private void server(Path repository, String command, Side side) throws Exception {
    Process p =
        new ProcessBuilder(
                "bash",
                repository.resolve("deploy/lab/faults.sh").toString(),
                command,
                engine(),
                side.word())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(
          "deploy/lab/faults.sh " + command + " " + engine() + " " + side.word() + ":\n" + out);
    }
  }

  /**
   * A lock (or an open transaction) on one connection, held until released. Release is safe when
   * the server was stopped meanwhile (the lock went with it).
   */
  final class Hold implements AutoCloseable {
    private final Connection connection;
    private final String release;
    private final String what;

    Hold(Connection connection, String release, String what) {
      this.connection = connection;
      this.release = release;
      this.what = what;
    }

    static Hold none() {
      return new Hold(null, null, "nothing");
    }

    String what() {
      return what;
    }

    @Override
    public void close() {
      if (connection == null) {
        return;
      }
      try (connection) {
        if (release != null) {
          try (Statement s = connection.createStatement()) {
            s.execute(release);
          }
        }
        if (!connection.getAutoCommit()) {
          connection.rollback();
        }
      } catch (SQLException goneWithTheServer) {
        // The server was stopped while the lock was held: the lock went with the session.
      }
    }
  }
}
