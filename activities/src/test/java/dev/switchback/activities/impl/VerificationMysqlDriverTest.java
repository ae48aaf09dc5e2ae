package dev.switchback.activities.impl;

/**
 * The same scenario on MariaDB through MySQL's Connector/J ({@code jdbc:mysql:} URLs), whose
 * streaming works differently from MariaDB's driver.
 */
class VerificationMysqlDriverTest extends VerificationMariadbTest {

  @Override
  String url(String database) {
    return "jdbc:mysql://127.0.0.1:3306/" + database;
  }

  @Override
  String engine() {
    return "mysql";
  }
}
