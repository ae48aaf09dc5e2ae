package dev.switchback.activities.impl;

import java.util.List;

/** Verification against the machine's MariaDB (127.0.0.1:3306, root without password). */
class VerificationMariadbTest extends VerificationScenario {

  @Override
  String adminUrl() {
    return "jdbc:mariadb://127.0.0.1:3306/";
  }

  @Override
  String user() {
    return "root";
  }

  @Override
  String url(String database) {
    return "jdbc:mariadb://127.0.0.1:3306/" + database;
  }

  @Override
  String engine() {
    return "mariadb";
  }

  @Override
  String createDatabase(String name) {
    return "CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci";
  }

  @Override
  String dropDatabase(String name) {
    return "DROP DATABASE IF EXISTS " + name;
  }

  @Override
  String unreachable() {
    return "MariaDB on 127.0.0.1:3306 (root, no password) is not reachable";
  }

  @Override
  List<String> schemaAndRows() {
    return List.of(
        "CREATE TABLE orders (id int PRIMARY KEY, customer varchar(50) NOT NULL,"
            + " amount decimal(10,2), created date)",
        "INSERT INTO orders WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g"
            + " WHERE n < 1000) SELECT n, CONCAT('c', n % 17), n * 1.25,"
            + " DATE_ADD(DATE '2024-01-01', INTERVAL n DAY) FROM g",
        // utf8mb4_general_ci orders 'a' < 'B' < 'c' (case-insensitive); byte order puts 'B' first.
        "CREATE TABLE customers (code varchar(10) COLLATE utf8mb4_general_ci PRIMARY KEY,"
            + " name varchar(10))",
        "INSERT INTO customers VALUES ('a', 'x'), ('B', 'y'), ('c', 'z'), ('Ö', 'w'),"
            + " ('\uD83D\uDE00', 'emoji'), ('\uFB00', 'ligature')",
        "CREATE TABLE line_items (order_id int, line int, sku varchar(50),"
            + " PRIMARY KEY (order_id, line))",
        "INSERT INTO line_items WITH RECURSIVE o(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM o"
            + " WHERE n < 50), l(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM l WHERE m < 3)"
            + " SELECT n, m, CONCAT('sku-', n, '-', m) FROM o, l",
        "CREATE TABLE audit_log (msg varchar(50))",
        "INSERT INTO audit_log VALUES ('hello')");
  }
}
