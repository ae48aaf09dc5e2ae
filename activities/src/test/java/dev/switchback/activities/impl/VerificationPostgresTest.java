package dev.switchback.activities.impl;

import java.util.List;

/** Verification against the machine's PostgreSQL (127.0.0.1:5432, trust, user postgres). */
class VerificationPostgresTest extends VerificationScenario {

  @Override
  String adminUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/postgres";
  }

  @Override
  String user() {
    return "postgres";
  }

  @Override
  String url(String database) {
    return "jdbc:postgresql://127.0.0.1:5432/" + database;
  }

  @Override
  String engine() {
    return "postgres";
  }

  @Override
  String createDatabase(String name) {
    return "CREATE DATABASE " + name;
  }

  @Override
  String dropDatabase(String name) {
    return "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
  }

  @Override
  String unreachable() {
    return "PostgreSQL on 127.0.0.1:5432 (trust, user postgres) is not reachable";
  }

  @Override
  List<String> schemaAndRows() {
    return List.of(
        "CREATE TABLE orders (id int PRIMARY KEY, customer text NOT NULL, amount numeric(10,2),"
            + " created date)",
        "INSERT INTO orders SELECT g, 'c' || (g % 17), g * 1.25, DATE '2024-01-01' + g"
            + " FROM generate_series(1, 1000) g",
        // An ICU collation orders 'a' < 'B' < 'c'; byte order puts 'B' first, and U+FB00 before
        // U+1F600 where Java's UTF-16 compareTo would not.
        "CREATE TABLE customers (code text COLLATE \"en-x-icu\" PRIMARY KEY, name text)",
        "INSERT INTO customers VALUES ('a', 'x'), ('B', 'y'), ('c', 'z'), ('Ä', 'w'),"
            + " ('b', 'v'), ('\uD83D\uDE00', 'emoji'), ('\uFB00', 'ligature')",
        "CREATE TABLE line_items (order_id int, line int, sku text, PRIMARY KEY (order_id, line))",
        "INSERT INTO line_items SELECT o, l, 'sku-' || o || '-' || l"
            + " FROM generate_series(1, 50) o, generate_series(1, 3) l",
        "CREATE TABLE audit_log (msg text)",
        "INSERT INTO audit_log VALUES ('hello')");
  }
}
