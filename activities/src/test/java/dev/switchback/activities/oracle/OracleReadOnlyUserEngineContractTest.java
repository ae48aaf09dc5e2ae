package dev.switchback.activities.oracle;

import dev.switchback.activities.support.Jdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The engine contract with {@code fence: read_only} (Oracle 23ai: ALTER USER ... READ ONLY). Runs
 * where {@code SWITCHBACK_ORACLE_URL} is set and the server is 23ai or later; skipped with a
 * message on 19c.
 */
class OracleReadOnlyUserEngineContractTest extends OracleEngineContractTest {

  private static int major;

  @BeforeAll
  static void requireOracle23() throws SQLException {
    if (URL == null) {
      return;
    }
    try (Connection admin = DriverManager.getConnection(URL, adminUser(), adminPassword())) {
      major = admin.getMetaData().getDatabaseMajorVersion();
      if (major >= 23) {
        // Leave the account writable whatever an earlier run left behind.
        Jdbc.exec(admin, "ALTER USER " + APP + " READ WRITE");
      }
    }
  }

  @Override
  protected String skipReason() {
    String noServer = super.skipReason();
    if (noServer != null) {
      return noServer;
    }
    return major >= 23
        ? null
        : "Oracle " + major + " has no ALTER USER ... READ ONLY: read_only fence contract not run";
  }

  @Override
  protected Map<String, String> options() {
    return Map.of("fence", "read_only");
  }
}
