package dev.switchback.activities.sqlserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.spi.Transport.Protection;
import dev.switchback.plan.EndpointSpec;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Options and quoting: what is checked before any statement reaches a server. */
class SqlServerEngineTest {

  private static EndpointSpec endpoint(Map<String, String> options) {
    return new EndpointSpec(
        "sqlserver",
        "jdbc:sqlserver://db:1433;databaseName=orders",
        "sb",
        null,
        List.of(),
        options);
  }

  @Test
  void denyOnDboIsTheDefaultFence() {
    SqlServerEngine.Options o = SqlServerEngine.Options.of("source", endpoint(Map.of()));
    assertEquals(SqlServerEngine.FenceMode.DENY, o.fence());
    assertEquals(List.of("dbo"), o.schemas());
  }

  @Test
  void readOnlyAndSchemasAreOptions() {
    SqlServerEngine.Options o =
        SqlServerEngine.Options.of(
            "destination", endpoint(Map.of("fence", "READ_ONLY", "schemas", "dbo, sales")));
    assertEquals(SqlServerEngine.FenceMode.READ_ONLY, o.fence());
    assertEquals(List.of("dbo", "sales"), o.schemas());
  }

  @Test
  void anUnknownFenceIsRefusedNamingTheFieldAndTheChoices() {
    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class,
            () -> SqlServerEngine.Options.of("source", endpoint(Map.of("fence", "single_user"))));
    assertEquals(FailureTypes.INVALID_PLAN, e.getType());
    assertTrue(e.isNonRetryable());
    assertTrue(
        e.getOriginalMessage().startsWith("source.options.fence: 'single_user'"),
        e.getOriginalMessage());
    assertTrue(
        e.getOriginalMessage().contains("deny") && e.getOriginalMessage().contains("read_only"));
  }

  @Test
  void anEmptySchemaNameIsRefused() {
    ApplicationFailure e =
        assertThrows(
            ApplicationFailure.class,
            () -> SqlServerEngine.Options.of("source", endpoint(Map.of("schemas", "dbo,,sales"))));
    assertTrue(e.getOriginalMessage().startsWith("source.options.schemas"), e.getOriginalMessage());
  }

  @Test
  void identifiersAreBracketedWithClosingBracketsDoubled() {
    assertEquals("[orders]", SqlServerSql.bracket("orders"));
    assertEquals("[a]]; DROP TABLE x; --]", SqlServerSql.bracket("a]; DROP TABLE x; --"));
  }

  @Test
  void permissionErrorsAreTold() {
    assertTrue(SqlServerSql.isPermissionError(229));
    assertTrue(SqlServerSql.isPermissionError(6102));
    assertFalse(SqlServerSql.isPermissionError(1205), "a deadlock is retried");
    assertTrue(SqlServerSql.isSystemDatabase("MASTER"));
    assertFalse(SqlServerSql.isSystemDatabase("orders"));
  }

  @Test
  void urlsWithoutVerifiedTlsAreNamedWithTheFix() {
    Map<String, Protection> urls =
        Map.of(
            "jdbc:sqlserver://db:1433;databaseName=orders",
            Protection.VERIFIED,
            "jdbc:sqlserver://db:1433;encrypt=strict",
            Protection.VERIFIED,
            "jdbc:sqlserver://db:1433;encrypt=false",
            Protection.PLAINTEXT,
            "jdbc:sqlserver://db:1433;Encrypt={optional}",
            Protection.PLAINTEXT,
            "jdbc:sqlserver://db:1433;encrypt=true;trustServerCertificate=true",
            Protection.UNVERIFIED);
    urls.forEach(
        (url, expected) ->
            assertEquals(
                expected,
                new SqlServerEngine()
                    .transport("source", new EndpointSpec("sqlserver", url, "sb", null, null, null))
                    .protection(),
                url));
    assertTrue(
        new SqlServerEngine()
            .transport(
                "source",
                new EndpointSpec(
                    "sqlserver", "jdbc:sqlserver://db;encrypt=false", "sb", null, null, null))
            .detail()
            .contains("remove encrypt=false"));
  }
}
