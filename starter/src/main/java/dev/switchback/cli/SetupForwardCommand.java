package dev.switchback.cli;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.mysql.MySqlMigrationSetup;
import dev.switchback.activities.postgres.PostgresMigrationSetup;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.plan.CutoverPlan;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * Creates the forward migration instance for teams without a migration service: native logical
 * replication (PostgreSQL) or GTID replication from a consistent snapshot (MySQL, MariaDB).
 * Idempotent: an instance that exists is left as it is.
 */
@Command(
    name = "setup-forward",
    description = {
      "Create the plan's forward migration instance when no migration service does it:"
          + " PostgreSQL publication + subscription with the initial copy, MySQL/MariaDB GTID"
          + " replication from a consistent snapshot. An existing instance is left as it is."
    })
final class SetupForwardCommand implements Callable<Integer> {
  @Parameters(paramLabel = "PLAN.yaml", description = "The cutover plan.")
  Path plan;

  @Mixin Output output;

  @Override
  public Integer call() {
    CutoverPlan p = PlanFiles.load(plan).withDefaults();
    String provider = p.migration().provider();
    String done;
    try (Connections connections = new Connections(new Secrets())) {
      done =
          switch (provider) {
            case "postgres" -> PostgresMigrationSetup.createForward(connections, p);
            case "mysql", "mariadb" -> MySqlMigrationSetup.createForward(connections, p);
            default ->
                throw CliException.badInput(
                    "migration.provider "
                        + provider
                        + ": the forward instance is created by the migration service itself"
                        + " (DTS console or API, REPLICAOF); setup-forward handles postgres, mysql"
                        + " and mariadb");
          };
    } catch (java.sql.SQLException e) {
      throw new CliException(CliException.FAILURE, "setup-forward failed: " + e.getMessage(), e);
    } catch (ApplicationFailure e) {
      boolean input = FailureTypes.INVALID_PLAN.equals(e.getType());
      throw new CliException(
          input ? CliException.BAD_INPUT : CliException.FAILURE,
          "setup-forward stopped: " + e.getOriginalMessage(),
          e);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("plan", p.name());
    json.put("instance", p.migration().instance());
    json.put("done", done);
    output.line("forward instance " + p.migration().instance() + ": " + done);
    output.object(json);
    return 0;
  }
}
