package dev.switchback.activities.mysql;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The provider contract against the lab's MariaDB pair (3307 source, 3308 destination). */
class MariaDbProviderTest extends MySqlProviderContract {
  private static MySqlLab lab;

  @BeforeAll
  static void servers() {
    lab = MySqlLab.mariadb();
  }

  @AfterAll
  static void close() {
    if (lab != null) {
      lab.close();
    }
  }

  @Override
  MySqlLab lab() {
    return lab;
  }
}
