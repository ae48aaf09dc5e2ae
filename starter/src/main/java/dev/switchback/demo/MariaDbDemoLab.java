package dev.switchback.demo;

import dev.switchback.activities.mysql.MySqlMigrationSetup;
import dev.switchback.activities.mysql.MySqlOptions;
import dev.switchback.activities.mysql.MySqlProvider;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The MariaDB demo: the lab's two servers (source 3307, destination 3308, {@code
 * deploy/lab/mariadb.sh}), database {@value #DATABASE}, GTID replication as the migration instance
 * (a named replication connection on the destination) and as the reverse instance (one on the old
 * source).
 */
public final class MariaDbDemoLab implements DemoLab {
  static final String DATABASE = "switchback_demo";
  static final String APP_USER = "sb_demo_app";
  static final String MIGRATOR = "sb_demo_migrator";
  static final String FORWARD = "sb_demo_fwd";
  static final String REVERSE = "sb_demo_rev";
  private static final String ADMIN = "root";

  private final String host;
  private final int sourcePort;
  private final int destinationPort;
  // The application's password never enters the plan (the application is not Switchback's); the
  // replication password does, as a file reference only.
  private final String appPassword = random();
  private Path replicationPasswordFile;
  private final String database;
  private final String appUser;
  private final String migrator;
  private final String forward;
  private final String reverse;

  public MariaDbDemoLab() {
    this("127.0.0.1", 3307, 3308, null);
  }

  /**
   * The lab servers with another database, application user, migration account and instances, for a
   * demo with an application of its own (the sysbench demo).
   */
  MariaDbDemoLab(String database, String appUser, String migrator, String forward, String reverse) {
    this("127.0.0.1", 3307, 3308, null, database, appUser, migrator, forward, reverse);
  }

  /**
   * A lab whose migration account's password is read from {@code replicationPasswordFile}, so a
   * test knows the value and can prove it never reaches workflow history; null: the demo writes a
   * random one to a file of its own.
   */
  public MariaDbDemoLab(
      String host, int sourcePort, int destinationPort, Path replicationPasswordFile) {
    this(
        host,
        sourcePort,
        destinationPort,
        replicationPasswordFile,
        DATABASE,
        APP_USER,
        MIGRATOR,
        FORWARD,
        REVERSE);
  }

  private MariaDbDemoLab(
      String host,
      int sourcePort,
      int destinationPort,
      Path replicationPasswordFile,
      String database,
      String appUser,
      String migrator,
      String forward,
      String reverse) {
    this.host = host;
    this.sourcePort = sourcePort;
    this.destinationPort = destinationPort;
    this.replicationPasswordFile = replicationPasswordFile;
    this.database = database;
    this.appUser = appUser;
    this.migrator = migrator;
    this.forward = forward;
    this.reverse = reverse;
  }

  @Override
  public String engine() {
    return "mariadb";
  }

  String url(Side side, String database) {
    return "jdbc:mariadb://"
        + host
        + ":"
        + (side == Side.SOURCE ? sourcePort : destinationPort)
        + "/"
        + database;
  }

  Connection admin(Side side, String database) throws SQLException {
    return DriverManager.getConnection(
        url(side, database) + "?connectionAttributes=program_name:switchback-demo", ADMIN, null);
  }

  @Override
  public void prepare(Connections connections) throws Exception {
    recreateDatabases(connections);
    // The source's tables and rows, written as any application's are before a migration: the
    // snapshot of the forward instance carries them, so the destination keeps only the empty
    // database (the snapshot copy creates the tables there).
    OrdersApp.createSchema(new OrdersApp.Endpoint(url(Side.SOURCE, DATABASE), ADMIN, null));
    try (Connection c = admin(Side.SOURCE, DATABASE);
        Statement s = c.createStatement()) {
      // A table the application only reads: the demo's data validation compares it.
      s.execute(
          "CREATE TABLE customers (id int PRIMARY KEY, name varchar(100) NOT NULL,"
              + " balance decimal(12,2) NOT NULL, since datetime NOT NULL)");
      s.execute(
          "INSERT INTO customers SELECT seq, CONCAT('customer ', seq), (seq * 7 % 1000) / 3.0,"
              + " TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq HOUR FROM seq_1_to_2000");
      s.execute(
          "INSERT INTO orders (order_no, amount) SELECT CONCAT('seed-', seq), seq % 500"
              + " FROM seq_1_to_1000");
    }
  }

  /**
   * Drops what earlier runs left (this lab's instances, the database) and creates the database
   * empty on both servers, with the application user (data privileges only, so the fence stops it),
   * and the migration account's password file when none was given.
   */
  void recreateDatabases(Connections connections) throws Exception {
    connections.close(); // pools of an earlier run point at the database dropped below
    if (replicationPasswordFile == null) {
      Path dir = Files.createTempDirectory("switchback-demo-mariadb");
      replicationPasswordFile = dir.resolve("replication-password");
      // Deleted in reverse order of registration: the file, then its directory.
      dir.toFile().deleteOnExit();
      replicationPasswordFile.toFile().deleteOnExit();
      Files.createFile(
          replicationPasswordFile,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(replicationPasswordFile, random());
    }
    for (Side side : Side.values()) {
      dropInstances(side);
    }
    for (Side side : Side.values()) {
      try (Connection c = admin(side, "");
          Statement s = c.createStatement()) {
        // A completed run leaves the old source fenced, a rolled-back one the destination.
        s.execute("SET GLOBAL read_only = OFF");
        // Accounts and the empty database stay out of the binary logs: each server keeps its
        // own, and no replication connection of anyone else carries the drop.
        s.execute("SET SESSION sql_log_bin = 0");
        s.execute("DROP DATABASE IF EXISTS " + database);
        s.execute("CREATE DATABASE " + database);
        String app = "'" + appUser + "'@'%'";
        s.execute("CREATE USER IF NOT EXISTS " + app + " IDENTIFIED BY '" + appPassword + "'");
        s.execute("ALTER USER " + app + " IDENTIFIED BY '" + appPassword + "'");
        // Only data privileges: no READ_ONLY ADMIN and no SUPER, so read_only fences it.
        s.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM " + app);
        s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON " + database + ".* TO " + app);
      }
    }
  }

  /**
   * The demo's forward and reverse instances an earlier run left on either server (a run killed
   * mid-cutover leaves them running): stopped and forgotten, so the snapshot below starts clean.
   */
  private void dropInstances(Side side) throws SQLException {
    try (Connection c = admin(side, "");
        Statement s = c.createStatement()) {
      List<String> channels = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SHOW ALL SLAVES STATUS")) {
        while (rs.next()) {
          channels.add(rs.getString("Connection_name"));
        }
      }
      for (String channel : channels) {
        if (channel.equalsIgnoreCase(forward) || channel.equalsIgnoreCase(reverse)) {
          s.execute("STOP SLAVE '" + channel + "'");
          s.execute("RESET SLAVE '" + channel + "' ALL");
        }
      }
    }
  }

  @Override
  public CutoverPlan plan(DemoOptions options, String routerUrl, String routerSigningKey) {
    return plan(
        "demo-mariadb",
        new RouterSpec("webhook", routerUrl, null, "30s", routerSigningKey),
        DemoLab.gates(options),
        DemoLab.smokeTests("orders", "1", options.rollback()),
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
    if (replicationPasswordFile == null) {
      throw new IllegalStateException("prepare the lab first: it writes the replication password");
    }
    return new CutoverPlan(
        name,
        new MigrationSpec(
            "mariadb",
            forward,
            reverse,
            Map.of(
                MySqlOptions.REPLICATION_PASSWORD,
                "file:" + replicationPasswordFile.toAbsolutePath(),
                MySqlOptions.DATABASES,
                database)),
        new EndpointSpec(
            "mariadb", url(Side.SOURCE, database), ADMIN, null, List.of(appUser), null),
        new EndpointSpec(
            "mariadb", url(Side.DESTINATION, database), ADMIN, null, List.of(appUser), null),
        // The replication connections log in with it; it holds REPLICATION SLAVE only, so
        // finalize finds no write privilege to revoke and says so.
        new MigrationAccountSpec(migrator, null, true),
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
    MySqlMigrationSetup.createMigrationAccount(connections, plan);
    // The destination is nothing but this migration's copy: its binary log restarts at the
    // snapshot, as a server restored from a backup does (see createForward).
    String snapshot = MySqlMigrationSetup.createForward(connections, plan, true);
    progress.println("forward instance " + forward + " created at GTID position " + snapshot);
    MySqlProvider provider = new MySqlProvider("mariadb");
    MigrationContext ctx = new MigrationContext(plan.workflowId(), plan, connections);
    progress.println(DemoLab.caughtUp(DemoLab.awaitCaughtUp(provider, ctx)));
  }

  @Override
  public DemoApp startApplication(int writers, double ratePerSecond) throws Exception {
    return OrdersApp.start(
        OrdersApp.Config.of(application(Side.SOURCE), application(Side.DESTINATION))
            .withRate(writers, ratePerSecond));
  }

  /** The application user's password (the lab's own, random per run). */
  String appPassword() {
    return appPassword;
  }

  /** How the demo application reaches {@code side}. */
  public OrdersApp.Endpoint application(Side side) {
    return new OrdersApp.Endpoint(url(side, DATABASE), APP_USER, appPassword);
  }

  @Override
  public List<String> orderNumbers(Side side) throws SQLException {
    try (Connection c = admin(side, DATABASE)) {
      return DemoLab.orderNumbers(c);
    }
  }

  private static String random() {
    byte[] b = new byte[12];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
