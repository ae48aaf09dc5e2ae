package dev.switchback.activities.validation;

import java.util.List;

/** The recheck after the switch on the PostgreSQL server on 127.0.0.1:5432. */
class DataValidatorRecheckPostgresTest extends RecheckScenario {
  @Override
  String server() {
    return "jdbc:postgresql://127.0.0.1:5432/";
  }

  @Override
  String user() {
    return "postgres";
  }

  @Override
  String engine() {
    return "postgres";
  }

  @Override
  String sourceDb() {
    return "sbval_re_src";
  }

  @Override
  String destinationDb() {
    return "sbval_re_dst";
  }

  @Override
  String adminDb() {
    return "postgres";
  }

  @Override
  List<String> recreate(String db) {
    return List.of(drop(db), "CREATE DATABASE " + db);
  }

  @Override
  String drop(String db) {
    return "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
  }

  @Override
  String insertIfMissing(int id, String v) {
    return "INSERT INTO orders VALUES (" + id + ", '" + v + "') ON CONFLICT DO NOTHING";
  }
}
