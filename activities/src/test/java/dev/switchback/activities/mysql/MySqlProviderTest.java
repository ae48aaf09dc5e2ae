package dev.switchback.activities.mysql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The provider contract against MySQL servers named by SWITCHBACK_MYSQL_SOURCE_URL and
 * SWITCHBACK_MYSQL_DESTINATION_URL; skipped, visibly, without them.
 */
class MySqlProviderTest extends MySqlProviderContract {
  private static MySqlLab lab;

  @BeforeAll
  static void servers() {
    lab = MySqlLab.mysql();
  }

  @AfterAll
  static void close() {
    if (lab != null) {
      lab.close();
    }
  }

  @Override
  MySqlLab lab() {
    return MySqlLab.assumeMysql(lab);
  }
}
