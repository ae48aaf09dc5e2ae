package dev.switchback.demo;

import dev.switchback.activities.postgres.PostgresMigrationSetup;
import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.spi.MigrationContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.ApproverSpec;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.EndpointSpec;
import dev.switchback.plan.GatesSpec;
import dev.switchback.plan.MigrationAccountSpec;
import dev.switchback.plan.MigrationSpec;
import dev.switchback.plan.RouterSpec;
import dev.switchback.plan.TestSpec;
import dev.switchback.plan.Thresholds;
import dev.switchback.plan.ValidationSpec;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL demo: two lab clusters (source 5433, destination 5434, {@code
 * deploy/lab/postgres.sh}), database {@value #DATABASE}, native logical replication as the
 * migration instance.
 */
public final class PostgresDemoLab implements DemoLab {
  static final String DATABASE = "switchback_demo";
  static final String APP_ROLE = "sb_app";
  static final String FORWARD = "sb_demo_fwd";
  private final String host;
  private final int sourcePort;
  private final int destinationPort;
  private final String adminPassword;
  private final String database;
  private final String appRole;
  private final String forward;

  public PostgresDemoLab() {
    this("127.0.0.1", 5433, 5434, null);
  }

  /**
   * The lab clusters with another database, application role and forward instance, for a demo with
   * an application of its own (the pgbench demo).
   */
  PostgresDemoLab(String database, String appRole, String forward) {
    this("127.0.0.1", 5433, 5434, null, database, appRole, forward);
  }

  /**
   * A lab whose plan names {@code adminPassword} (a secret reference) for the admin account; the
   * lab clusters trust loopback connections, so any value works, which lets a test prove the value
   * never reaches workflow history.
   */
  public PostgresDemoLab(String host, int sourcePort, int destinationPort, String adminPassword) {
    this(host, sourcePort, destinationPort, adminPassword, DATABASE, APP_ROLE, FORWARD);
  }

  private PostgresDemoLab(
      String host,
      int sourcePort,
      int destinationPort,
      String adminPassword,
      String database,
      String appRole,
      String forward) {
    this.host = host;
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.adminPassword = adminPassword;
    this.database = database;
    this.appRole = appRole;
    this.forward = forward;
  }

  @Override
  public String engine() {
    return "postgres";
  }

  String url(Side side, String database) {
    return "jdbc:postgresql://"
        + host
        + ":"
        + (side == Side.SOURCE ? sourcePort : destinationPort)
        + "/"
        + database;
  }

  Connection admin(Side side, String database) throws SQLException {
    return DriverManager.getConnection(
        url(side, database) + "?ApplicationName=switchback-demo", "postgres", null);
  }

  @Override
  public void prepare(Connections connections) throws Exception {
    recreateDatabases(connections);
    for (Side side : Side.values()) {
      OrdersApp.createSchema(new OrdersApp.Endpoint(url(side, DATABASE), "postgres", null));
      try (Connection c = admin(side, DATABASE);
          Statement s = c.createStatement()) {
        // A table the application only reads: the demo's data validation compares it.
        s.execute(
            "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL,"
                + " balance numeric(12,2) NOT NULL, since timestamptz NOT NULL)");
        s.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + APP_ROLE);
        s.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + APP_ROLE);
        if (side == Side.SOURCE) {
          s.execute(
              "INSERT INTO customers SELECT g, 'customer ' || g, (g * 7 % 1000) / 3.0,"
                  + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour'"
                  + " FROM generate_series(1, 2000) g");
          s.execute(
              "INSERT INTO orders (order_no, amount) SELECT 'seed-' || g, g % 500 FROM generate_series(1, 1000) g");
        }
      }
    }
  }

  /**
   * Drops what earlier runs left (the database's subscriptions and slots, the database) and creates
   * the database empty on both sides, and the application role.
   */
  void recreateDatabases(Connections connections) throws SQLException {
    connections.close(); // pools of an earlier run point at the database dropped below
    for (Side side : Side.values()) {
      dropInstances(side);
    }
    for (Side side : Side.values()) {
      try (Connection c = admin(side, "postgres");
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        s.execute("CREATE DATABASE " + database);
        s.execute(
            "DO $$ BEGIN CREATE ROLE "
                + appRole
                + " LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      }
    }
  }

  // Subscriptions and slots of earlier runs: a slot left behind would hold WAL on the lab cluster.
  private void dropInstances(Side side) throws SQLException {
    try (Connection c = admin(side, "postgres");
        Statement s = c.createStatement()) {
      boolean exists;
      try (ResultSet rs =
          s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
        exists = rs.next();
      }
      if (exists) {
        try (Connection d = admin(side, database);
            Statement ds = d.createStatement()) {
          ds.execute("SET default_transaction_read_only = off");
          List<String> subs = new ArrayList<>();
          try (ResultSet rs =
              ds.executeQuery(
                  "SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())")) {
            while (rs.next()) {
              subs.add(rs.getString(1));
            }
          }
          for (String sub : subs) {
            ds.execute("ALTER SUBSCRIPTION " + sub + " DISABLE");
            ds.execute("ALTER SUBSCRIPTION " + sub + " SET (slot_name = NONE)");
            ds.execute("DROP SUBSCRIPTION " + sub);
          }
        }
      }
      s.execute(
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '"
              + database
              + "' AND active_pid IS NOT NULL");
      for (int i = 0; i < 50; i++) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_replication_slots WHERE database = '"
                    + database
                    + "' AND active")) {
          rs.next();
          if (rs.getLong(1) == 0) {
            break;
          }
        }
        Thread.sleep(100);
      }
      s.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '"
              + database
              + "' AND NOT active");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public CutoverPlan plan(DemoOptions options, String routerUrl, String routerSigningKey) {
    return plan(
        "demo-postgres",
        new RouterSpec("webhook", routerUrl, null, "30s", routerSigningKey),
        DemoLab.gates(options),
        DemoLab.smokeTests("orders", "t", options.rollback()),
        new ValidationSpec(List.of("orders", "customers"), "full", true),
        options);
  }

  /**
   * The lab's plan for this lab's database, with the demo's router, gates, tests and validation.
   */
  CutoverPlan plan(
      String name,
      RouterSpec router,
      GatesSpec gates,
      List<TestSpec> tests,
      ValidationSpec validation,
      DemoOptions options) {
    return new CutoverPlan(
        name,
        new MigrationSpec("postgres", forward, null, null),
        new EndpointSpec(
            "postgres",
            url(Side.SOURCE, database),
            "postgres",
            adminPassword,
            List.of(appRole),
            null),
        new EndpointSpec(
            "postgres",
            url(Side.DESTINATION, database),
            "postgres",
            adminPassword,
            List.of(appRole),
            null),
        // The subscription connects with the admin account (PostgreSQL 15 lets only superusers
        // create subscriptions), so that is the migration account; revoking a superuser's writes
        // means nothing, so finalize leaves it as it is.
        new MigrationAccountSpec("postgres", null, false),
        router,
        new Thresholds("5s", "2m", "1m", "2m", "2s", "30s", "2m"),
        gates,
        // A lab: the demo approves by name (docs/security.md, Approvals).
        ApproverSpec.names(options.approver()),
        CutoverPlan.UNSIGNED,
        tests,
        validation,
        options.soak());
  }

  @Override
  public void createForward(Connections connections, CutoverPlan plan, PrintStream progress)
      throws Exception {
    progress.println(
        "forward instance: " + PostgresMigrationSetup.createForward(connections, plan));
    PostgresProvider provider = new PostgresProvider();
    MigrationContext ctx = new MigrationContext(plan.workflowId(), plan, connections);
    progress.println(DemoLab.caughtUp(DemoLab.awaitCaughtUp(provider, ctx)));
  }

  @Override
  public DemoApp startApplication(int writers, double ratePerSecond) throws Exception {
    return OrdersApp.start(
        OrdersApp.Config.of(application(Side.SOURCE), application(Side.DESTINATION))
            .withRate(writers, ratePerSecond));
  }

  /** How the demo application reaches {@code side}. */
  public OrdersApp.Endpoint application(Side side) {
    return new OrdersApp.Endpoint(url(side, DATABASE), APP_ROLE, null);
  }

  @Override
  public List<String> orderNumbers(Side side) throws SQLException {
    try (Connection c = admin(side, DATABASE)) {
      return DemoLab.orderNumbers(c);
    }
  }
}
