package dev.switchback.activities.sqlserver;

import static dev.switchback.activities.sqlserver.SqlServerSql.bracket;
import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.sqlserver.SqlServerPrincipals.Principal;
import dev.switchback.activities.support.Columns;
import dev.switchback.activities.support.EndedSessions;
import dev.switchback.activities.support.RevokeReport;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The seed's last step for SQL Server: take the migration account's write privileges away and leave
 * it able to read (so a later data validation can still use it). Writes come from the fixed roles
 * db_owner, db_datawriter and db_ddladmin, and from explicit INSERT, UPDATE, DELETE, ALTER or
 * CONTROL grants on the database, a schema or an object.
 *
 * <p>Then the account's sessions are KILLed (an open transaction would commit what it wrote), and
 * SQL Server itself is asked what the user may still do: impersonating it ({@code EXECUTE AS
 * USER}), {@code HAS_PERMS_BY_NAME} answers for every table and view and for the database's write
 * permissions, through any role (nested ones, {@code public}) and any grant. A sysadmin member or
 * the database owner (dbo) fails before any change: database permissions do not bind them.
 * Server-level permissions other than sysadmin (CONTROL SERVER, IMPERSONATE ANY LOGIN) are not
 * looked at: impersonating a database user leaves them out.
 */
final class SqlServerRevoke {

  static final Set<String> WRITE_ROLES = Set.of("db_owner", "db_datawriter", "db_ddladmin");

  static final String ROLES_QUERY =
      """
      SELECT r.name AS role_name
      FROM sys.database_role_members m
      JOIN sys.database_principals r ON r.principal_id = m.role_principal_id
      WHERE m.member_principal_id = DATABASE_PRINCIPAL_ID(?)
      """;

  /** Explicit write grants of one user on the database (class 0), objects (1) and schemas (3). */
  static final String PERMISSIONS_QUERY =
      """
      SELECT p.class_desc, p.permission_name, p.state,
             CASE p.class WHEN 1 THEN OBJECT_SCHEMA_NAME(p.major_id) END AS schema_name,
             CASE p.class WHEN 1 THEN OBJECT_NAME(p.major_id)
                          WHEN 3 THEN SCHEMA_NAME(p.major_id) END AS securable_name
      FROM sys.database_permissions p
      WHERE p.grantee_principal_id = DATABASE_PRINCIPAL_ID(?)
        AND p.class IN (0, 1, 3) AND p.state IN ('G', 'W')
        AND p.permission_name IN ('INSERT', 'UPDATE', 'DELETE', 'ALTER', 'CONTROL')
      """;

  /** One explicit grant. */
  record Grant(String classDesc, String permission, String state, String schema, String securable) {

    static Grant of(Columns c) {
      return new Grant(
          c.string("class_desc"),
          c.string("permission_name"),
          c.string("state"),
          c.string("schema_name"),
          c.string("securable_name"));
    }

    String revokeFrom(String user) {
      String on =
          switch (classDesc.toUpperCase(Locale.ROOT)) {
            case "DATABASE" -> "";
            case "SCHEMA" -> " ON SCHEMA::" + bracket(securable);
            default -> " ON OBJECT::" + bracket(schema) + "." + bracket(securable);
          };
      // A grant WITH GRANT OPTION ('W') cannot be revoked without CASCADE; CASCADE also takes
      // the permission from whoever this user granted it to.
      String cascade = "W".equals(state) ? " CASCADE" : "";
      return "REVOKE " + permission + on + " FROM " + bracket(user) + cascade;
    }
  }

  /**
   * What the user may still write, asked as the user (between {@code EXECUTE AS USER} and {@code
   * REVERT}). Objects the user has no permission on are not even visible to it, which is fine:
   * those it cannot write either.
   */
  static final String EFFECTIVE_WRITES_QUERY =
      """
      SELECT CONCAT(p.permission_name, ' on ', QUOTENAME(s.name), '.', QUOTENAME(o.name)) AS path
      FROM sys.objects o
      JOIN sys.schemas s ON s.schema_id = o.schema_id
      CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('ALTER')) AS p(permission_name)
      WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0
        AND HAS_PERMS_BY_NAME(QUOTENAME(s.name) + '.' + QUOTENAME(o.name), 'OBJECT',
                              p.permission_name) = 1
      UNION ALL
      SELECT CONCAT(p.permission_name, ' on the database')
      FROM (VALUES ('CREATE TABLE'), ('CREATE PROCEDURE'), ('ALTER ANY SCHEMA'), ('ALTER ANY USER'),
                   ('ALTER ANY ROLE'), ('ALTER'), ('CONTROL')) AS p(permission_name)
      WHERE HAS_PERMS_BY_NAME(NULL, 'DATABASE', p.permission_name) = 1
      """;

  private SqlServerRevoke() {}

  /**
   * Revokes {@code p}'s writes in {@code db}, ends its login's sessions and checks, as the user,
   * that it can write nowhere in the database.
   */
  static String revoke(Connection c, String side, String db, Principal p) throws SQLException {
    if (p.untouchableByDeny()) {
      throw RevokeReport.cannotRevoke(
          side,
          p.user(),
          "is "
              + (Boolean.TRUE.equals(p.sysadmin())
                  ? "a member of sysadmin (login " + p.login() + ")"
                  : "the database owner (dbo)")
              + " in "
              + db
              + ", whom database permissions do not bind",
          "take the role away (ALTER SERVER ROLE sysadmin DROP MEMBER ...) or give the database"
              + " another owner, or drop the account");
    }
    RevokeReport report = new RevokeReport(side, p.user());
    List<String> statements =
        statements(
            p.user(),
            query(c, ROLES_QUERY, List.of(p.user()), col -> col.string("role_name")),
            query(c, PERMISSIONS_QUERY, List.of(p.user()), Grant::of));
    for (String s : statements) {
      exec(c, s);
      report.revoked(s);
    }
    List<Long> killed = SqlServerSessions.kill(c, List.of(p.sessionLogin()));
    List<Long> left =
        EndedSessions.stillListed(killed, () -> SqlServerSessions.of(c, p.sessionLogin()));
    EndedSessions.report(
        report,
        killed,
        left,
        "KILL each (of login " + p.sessionLogin() + "), or wait for its rollback");
    for (String path : effectiveWrites(c, p.user())) {
      report.left(
          path
              + " (through a role, a grant to public or to a role it is in: see"
              + " sys.database_permissions and sys.database_role_members)");
    }
    report.checked(
        "HAS_PERMS_BY_NAME as " + p.user() + " on every table and view and on database " + db);
    return report.result();
  }

  private static List<String> effectiveWrites(Connection c, String user) throws SQLException {
    exec(c, "EXECUTE AS USER = N'" + user.replace("'", "''") + "'");
    try {
      return query(c, EFFECTIVE_WRITES_QUERY, List.of(), col -> col.string("path"));
    } finally {
      // The connection goes back to the pool: it must be Switchback's admin again.
      exec(c, "REVERT");
    }
  }

  /**
   * The statements that take {@code user}'s writes away, keeping reads: dropping db_owner adds
   * db_datareader so that the account can still read.
   */
  static List<String> statements(String user, List<String> roles, List<Grant> grants) {
    List<String> out = new ArrayList<>();
    boolean wasOwner = false;
    boolean reads = false;
    for (String role : roles) {
      String r = role.toLowerCase(Locale.ROOT);
      wasOwner |= r.equals("db_owner");
      reads |= r.equals("db_datareader");
    }
    if (wasOwner && !reads) {
      out.add("ALTER ROLE [db_datareader] ADD MEMBER " + bracket(user));
    }
    for (String role : roles) {
      if (WRITE_ROLES.contains(role.toLowerCase(Locale.ROOT))) {
        out.add("ALTER ROLE " + bracket(role) + " DROP MEMBER " + bracket(user));
      }
    }
    for (Grant g : grants) {
      out.add(g.revokeFrom(user));
    }
    return out;
  }
}
