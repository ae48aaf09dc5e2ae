package dev.switchback.activities.sqlserver;

import static dev.switchback.activities.sqlserver.SqlServerSql.bracket;

import dev.switchback.activities.support.Columns;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The seed's last step for SQL Server: take the migration account's write privileges away and leave
 * it able to read (so a later data validation can still use it). Writes come from the fixed roles
 * db_owner, db_datawriter and db_ddladmin, and from explicit INSERT, UPDATE, DELETE, ALTER or
 * CONTROL grants on the database, a schema or an object.
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

  private SqlServerRevoke() {}

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
