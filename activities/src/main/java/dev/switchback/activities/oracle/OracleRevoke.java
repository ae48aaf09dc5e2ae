package dev.switchback.activities.oracle;

import static dev.switchback.activities.oracle.OracleSql.quote;

import dev.switchback.activities.support.Columns;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The seed's last step for Oracle: take the migration account's write privileges away. Writes come
 * from system privileges (INSERT ANY TABLE ...), object privileges on tables and roles carrying
 * either. SELECT privileges stay, so the account can still read for a later validation; a role that
 * carries writes is revoked whole (roles cannot be revoked in part), reads it gave included.
 */
final class OracleRevoke {

  /** System privileges that let an account change other schemas' data. */
  static final Set<String> WRITE_SYSTEM_PRIVILEGES =
      Set.of(
          "INSERT ANY TABLE",
          "UPDATE ANY TABLE",
          "DELETE ANY TABLE",
          "ALTER ANY TABLE",
          "DROP ANY TABLE",
          "CREATE ANY TABLE",
          "LOCK ANY TABLE",
          "EXECUTE ANY PROCEDURE");

  /** Object privileges that change a table's data or shape. */
  static final Set<String> WRITE_OBJECT_PRIVILEGES = Set.of("INSERT", "UPDATE", "DELETE", "ALTER");

  static final String SYSTEM_PRIVILEGES_QUERY =
      "SELECT privilege FROM dba_sys_privs WHERE grantee = ?";

  static final String OBJECT_PRIVILEGES_QUERY =
      "SELECT owner, table_name, privilege FROM dba_tab_privs WHERE grantee = ?";

  /**
   * The roles granted directly to the user that carry a write privilege, themselves or through the
   * roles granted to them: the walk starts at the user's direct grants, so CONNECT_BY_ROOT names
   * the direct role, and the WHERE (applied after the walk) keeps the roles that carry writes.
   */
  static final String WRITE_ROLES_QUERY =
      """
      SELECT DISTINCT CONNECT_BY_ROOT granted_role AS direct_role
      FROM dba_role_privs
      WHERE granted_role IN (
          SELECT grantee FROM dba_sys_privs
          WHERE privilege IN ('INSERT ANY TABLE', 'UPDATE ANY TABLE', 'DELETE ANY TABLE',
                              'ALTER ANY TABLE', 'DROP ANY TABLE', 'CREATE ANY TABLE',
                              'LOCK ANY TABLE', 'EXECUTE ANY PROCEDURE')
          UNION
          SELECT grantee FROM dba_tab_privs
          WHERE privilege IN ('INSERT', 'UPDATE', 'DELETE', 'ALTER'))
      START WITH grantee = ?
      CONNECT BY NOCYCLE PRIOR granted_role = grantee
      """;

  static final String OWNED_TABLES_QUERY = "SELECT COUNT(*) AS n FROM dba_tables WHERE owner = ?";

  /** One object privilege. */
  record ObjectPrivilege(String owner, String table, String privilege) {
    static ObjectPrivilege of(Columns c) {
      return new ObjectPrivilege(c.string("owner"), c.string("table_name"), c.string("privilege"));
    }
  }

  private OracleRevoke() {}

  static List<String> statements(
      String user,
      List<String> systemPrivileges,
      List<ObjectPrivilege> objectPrivileges,
      List<String> writeRoles) {
    List<String> out = new ArrayList<>();
    for (String p : systemPrivileges) {
      if (WRITE_SYSTEM_PRIVILEGES.contains(p)) {
        out.add("REVOKE " + p + " FROM " + quote(user));
      }
    }
    for (ObjectPrivilege p : objectPrivileges) {
      if (WRITE_OBJECT_PRIVILEGES.contains(p.privilege())) {
        out.add(
            "REVOKE "
                + p.privilege()
                + " ON "
                + quote(p.owner())
                + "."
                + quote(p.table())
                + " FROM "
                + quote(user));
      }
    }
    for (String role : writeRoles) {
      out.add("REVOKE " + quote(role) + " FROM " + quote(user));
    }
    return out;
  }
}
