package dev.switchback.activities.oracle;

import static dev.switchback.activities.oracle.OracleSql.quote;
import static dev.switchback.activities.support.Jdbc.exec;
import static dev.switchback.activities.support.Jdbc.query;

import dev.switchback.activities.support.Columns;
import dev.switchback.activities.support.EndedSessions;
import dev.switchback.activities.support.RevokeReport;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The seed's last step for Oracle: take the migration account's write privileges away. Writes come
 * from system privileges (INSERT ANY TABLE ...), object privileges on tables and roles carrying
 * either. SELECT privileges stay, so the account can still read for a later validation; a role that
 * carries writes is revoked whole (roles cannot be revoked in part), reads it gave included.
 *
 * <p>Then the account's sessions are killed on every instance, and the same dictionary views are
 * read again, with PUBLIC's grants and the tables the account owns (an owner always writes its own
 * tables): anything found fails the step. Not looked at: SYSDBA and the other administrative
 * privileges of the password file, and definer's-rights procedures the account may EXECUTE.
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
   * PUBLIC's object grants outside the schemas Oracle maintains: those carry grants to PUBLIC by
   * design (SYS.PLAN_TABLE$, a temporary table every session writes its plans into).
   */
  static final String PUBLIC_OBJECT_PRIVILEGES_QUERY =
      "SELECT owner, table_name, privilege FROM dba_tab_privs WHERE grantee = 'PUBLIC'"
          + " AND owner NOT IN (SELECT username FROM dba_users WHERE oracle_maintained = 'Y')";

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

  /**
   * Revokes {@code user}'s writes, kills its sessions and checks that nothing is left.
   *
   * @param user an existing user, canonical
   */
  static String revoke(Connection c, String side, String user) throws SQLException {
    RevokeReport report = new RevokeReport(side, user);
    for (String s :
        statements(
            user, systemPrivileges(c, user), objectPrivileges(c, user), writeRoles(c, user))) {
      exec(c, s);
      report.revoked(s);
    }
    List<String> killed = OracleSessions.kill(c, List.of(user));
    List<String> stillThere =
        EndedSessions.stillListed(killed, () -> OracleSessions.of(c, List.of(user)));
    EndedSessions.report(report, killed, stillThere, "ALTER SYSTEM KILL SESSION each");
    long owned = query(c, OWNED_TABLES_QUERY, List.of(user), col -> col.number("n")).get(0);
    left(
            user,
            systemPrivileges(c, user),
            objectPrivileges(c, user),
            writeRoles(c, user),
            owned,
            systemPrivileges(c, "PUBLIC"),
            query(c, PUBLIC_OBJECT_PRIVILEGES_QUERY, List.of(), ObjectPrivilege::of))
        .forEach(report::left);
    report.checked(
        "dba_sys_privs, dba_tab_privs and dba_role_privs of " + user + " and PUBLIC, dba_tables");
    return report.result();
  }

  /** The write paths left, each with its fix; empty when none. */
  static List<String> left(
      String user,
      List<String> systemPrivileges,
      List<ObjectPrivilege> objectPrivileges,
      List<String> writeRoles,
      long ownedTables,
      List<String> publicSystemPrivileges,
      List<ObjectPrivilege> publicObjectPrivileges) {
    List<String> out = new ArrayList<>();
    for (String s : statements(user, systemPrivileges, objectPrivileges, writeRoles)) {
      out.add("still granted: " + s.substring("REVOKE ".length()) + " (" + s + " by hand)");
    }
    for (String p : publicSystemPrivileges) {
      if (WRITE_SYSTEM_PRIVILEGES.contains(p)) {
        out.add(p + " granted to PUBLIC, which every user holds (REVOKE " + p + " FROM PUBLIC)");
      }
    }
    for (ObjectPrivilege p : publicObjectPrivileges) {
      if (WRITE_OBJECT_PRIVILEGES.contains(p.privilege())) {
        out.add(
            p.privilege()
                + " ON "
                + quote(p.owner())
                + "."
                + quote(p.table())
                + " granted to PUBLIC, which every user holds");
      }
    }
    if (ownedTables > 0) {
      out.add(
          user
              + " owns "
              + ownedTables
              + " table(s), and an owner always writes its own tables: move them to another"
              + " schema, or lock the account (ALTER USER "
              + quote(user)
              + " ACCOUNT LOCK)");
    }
    return out;
  }

  private static List<String> systemPrivileges(Connection c, String grantee) throws SQLException {
    return query(c, SYSTEM_PRIVILEGES_QUERY, List.of(grantee), col -> col.string("privilege"));
  }

  private static List<ObjectPrivilege> objectPrivileges(Connection c, String grantee)
      throws SQLException {
    return query(c, OBJECT_PRIVILEGES_QUERY, List.of(grantee), ObjectPrivilege::of);
  }

  private static List<String> writeRoles(Connection c, String user) throws SQLException {
    return query(c, WRITE_ROLES_QUERY, List.of(user), col -> col.string("direct_role"));
  }

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
