package dev.switchback.activities.validation;

/**
 * The same recheck on MariaDB through MySQL's Connector/J ({@code jdbc:mysql:} URLs), which refuses
 * {@code Connection.rollback()} while autocommit is on.
 */
class DataValidatorRecheckMysqlDriverTest extends DataValidatorRecheckMariaDbTest {
  @Override
  String server() {
    return "jdbc:mysql://127.0.0.1:3306/";
  }

  @Override
  String engine() {
    return "mysql";
  }

  @Override
  String sourceDb() {
    return "sbval_re_cj_src";
  }

  @Override
  String destinationDb() {
    return "sbval_re_cj_dst";
  }
}
