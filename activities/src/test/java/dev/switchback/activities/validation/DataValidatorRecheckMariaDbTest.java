package dev.switchback.activities.validation;

import java.util.List;

/**
 * The recheck after the switch on the MariaDB server on 127.0.0.1:3306, whose snapshot sessions are
 * ended by statement (autocommit stays on).
 */
class DataValidatorRecheckMariaDbTest extends RecheckScenario {
  @Override
  String server() {
    return "jdbc:mariadb://127.0.0.1:3306/";
  }

  @Override
  String user() {
    return "root";
  }

  @Override
  String engine() {
    return "mariadb";
  }

  @Override
  String sourceDb() {
    return "sbval_re_my_src";
  }

  @Override
  String destinationDb() {
    return "sbval_re_my_dst";
  }

  @Override
  String adminDb() {
    return "";
  }

  @Override
  List<String> recreate(String db) {
    return List.of(drop(db), "CREATE DATABASE " + db + " CHARACTER SET utf8mb4");
  }

  @Override
  String drop(String db) {
    return "DROP DATABASE IF EXISTS " + db;
  }

  @Override
  String insertIfMissing(int id, String v) {
    return "INSERT IGNORE INTO orders VALUES (" + id + ", '" + v + "')";
  }
}
