package dev.switchback.demo;

import dev.switchback.messages.values.Phase;
import dev.switchback.messages.values.Side;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** One cell of the fault suite's table: an engine, a phase of the cutover, and a fault. */
record FaultCell(String engine, FaultCell.Stage stage, FaultCell.Fault fault) {

  /**
   * The phases of issue 10, each with the workflow phase the fault lands in and the server whose
   * stop hurts that phase most.
   */
  enum Stage {
    CATCH_UP("catch-up", Phase.CATCH_UP, Side.SOURCE),
    QUIESCE("quiesce", Phase.STOPPING_WRITES, Side.SOURCE),
    DRAIN("drain", Phase.DRAINING, Side.DESTINATION),
    REVERSE_START("reverse-start", Phase.STARTING_REVERSE, Side.SOURCE),
    SWITCH("switch", Phase.SWITCHING, Side.DESTINATION),
    TESTS("tests", Phase.TESTING, Side.DESTINATION),
    SOAK("soak", Phase.SOAKING, Side.DESTINATION),
    FINALIZE("finalize", Phase.FINALIZING, Side.SOURCE);

    final String word;
    final Phase phase;
    final Side stopped;

    Stage(String word, Phase phase, Side stopped) {
      this.word = word;
      this.phase = phase;
      this.stopped = stopped;
    }
  }

  enum Fault {
    STOP_SERVER("stop-server"),
    KILL_WORKER("kill-worker"),
    SLOW_STEP("slow-step");

    final String word;

    Fault(String word) {
      this.word = word;
    }
  }

  /** How long a stopped server stays down. */
  static final int OUTAGE_SECONDS = 3;

  /** A slow step's length: longer than the 10 s heartbeat timeout every activity has. */
  static final int SLOW_SECONDS = 15;

  String name() {
    return engine + " " + stage.word + " " + fault.word;
  }

  /** The plan name: unique per cell, so each cell is its own workflow. */
  String planName() {
    return "faults-"
        + (engine.equals("postgres") ? "pg" : "mdb")
        + "-"
        + stage.word
        + "-"
        + fault.word.substring(0, 4);
  }

  /** What the fault is, in the table's words. */
  String faultDetail(FaultLab lab) {
    return switch (fault) {
      case STOP_SERVER ->
          "stop the " + stage.stopped.word() + " server, start it " + OUTAGE_SECONDS + " s later";
      case KILL_WORKER -> "kill -9 the worker, start a new one";
      case SLOW_STEP -> slowDetail(lab);
    };
  }

  private String slowDetail(FaultLab lab) {
    String s = SLOW_SECONDS + " s: ";
    return switch (stage) {
      case CATCH_UP -> s + "forward apply held by a lock on the destination's orders";
      case QUIESCE -> s + "quiesce webhook waits for a write held by a lock on the source";
      case DRAIN -> s + "forward apply held by a lock on the destination's orders";
      case REVERSE_START ->
          s
              + (lab.engine().equals("postgres")
                  ? "reverse slot creation waits for an open transaction on the destination"
                  : "SET GLOBAL gtid_slave_pos waits for a lock on mysql.gtid_slave_pos");
      case SWITCH -> s + "the point webhook answers late";
      case TESTS -> s + "smoke test " + lab.sleepSql(SLOW_SECONDS);
      case SOAK -> s + "reverse apply held by a lock on the source's orders";
      case FINALIZE ->
          s
              + (lab.engine().equals("postgres")
                  ? "DROP SUBSCRIPTION waits for a lock on pg_subscription"
                  : "FLUSH TABLES WITH READ LOCK on the source holds finalize's statements");
    };
  }

  /** The cells selected by {@code -Dswitchback.faults.engines/stages/faults} (comma lists). */
  static List<FaultCell> selected() {
    List<String> engines = list("switchback.faults.engines", "postgres,mariadb");
    List<String> stages = list("switchback.faults.stages", "all");
    List<String> faults = list("switchback.faults.faults", "all");
    return engines.stream()
        .flatMap(
            e ->
                Arrays.stream(Stage.values())
                    .filter(s -> stages.contains("all") || stages.contains(s.word))
                    .flatMap(
                        s ->
                            Arrays.stream(Fault.values())
                                .filter(f -> faults.contains("all") || faults.contains(f.word))
                                .map(f -> new FaultCell(e, s, f))))
        .toList();
  }

  private static List<String> list(String property, String fallback) {
    return Arrays.stream(System.getProperty(property, fallback).split(","))
        .map(s -> s.trim().toLowerCase(Locale.ROOT))
        .filter(s -> !s.isEmpty())
        .toList();
  }
}
