package dev.switchback.activities.sqlserver;

import java.util.Map;

/**
 * The engine contract with {@code fence: read_only}: ALTER DATABASE ... SET READ_ONLY stops the
 * migration account too (and CDC capture), which the contract checks instead of its writing on.
 * Runs where {@code SWITCHBACK_SQLSERVER_URL} is set (see {@link SqlServerEngineContractTest}); the
 * admin account needs ALTER on the database.
 */
class SqlServerReadOnlyEngineContractTest extends SqlServerEngineContractTest {

  @Override
  protected Map<String, String> options() {
    return Map.of("fence", "read_only");
  }

  @Override
  protected boolean migrationAccountWritesUnderFence() {
    return false;
  }
}
