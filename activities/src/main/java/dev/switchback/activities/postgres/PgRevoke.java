package dev.switchback.activities.postgres;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.RevokeReport;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finalize's revoke of the migration account in the endpoint's database, then the proof that it can
 * no longer write there.
 *
 * <p>A write path is any of: INSERT, UPDATE (also on some columns only), DELETE, TRUNCATE or
 * TRIGGER on a table, view or foreign table; UPDATE on a sequence (setval); CREATE on a schema or
 * on the database; owning a table, sequence, view, schema or the database (an owner can grant
 * itself any privilege back); a default privilege that will grant writes on tables created later;
 * CREATEROLE (it can grant itself roles that write); a prepared transaction it may still COMMIT
 * PREPARED; a session opened before the revoke. Each is looked for as the account itself and as
 * every role it is a member of, whether it inherits or must SET ROLE ({@code pg_has_role(...,
 * 'MEMBER')}: a NOINHERIT member holds nothing by {@code has_table_privilege} yet writes after SET
 * ROLE), and as PUBLIC.
 *
 * <p>Decisions: a superuser fails before any change (privileges do not bind it). CREATEROLE is a
 * path left (on PostgreSQL 15 and earlier it can grant itself any role that is not a superuser,
 * {@code pg_write_all_data} included). BYPASSRLS and REPLICATION are not: BYPASSRLS only widens the
 * rows a privilege reaches, and with no write privilege there is nothing to widen; REPLICATION
 * streams the WAL out and writes nothing into tables. Replication connections (walsenders) are
 * therefore left running: they read. EXECUTE on functions is not looked at: a SECURITY DEFINER
 * function runs as its owner and may write, and PUBLIC may execute functions by default, so that is
 * the owner's grant to review.
 */
final class PgRevoke {
  private static final String TABLE_WRITES = "INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER";

  /** Every role whose privileges the account can use: itself and the roles it is a member of. */
  private static final String MEMBER_OF = "pg_has_role(?, r.oid, 'MEMBER')";

  /** Per holder and table: the write privileges it has, empty when none. */
  private static final String TABLE_PATHS =
      "SELECT * FROM (SELECT h.name AS holder,"
          + " CASE c.relkind WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table' ELSE 'table' END"
          + "   || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object,"
          + " array_to_string(array_remove(ARRAY["
          + "   CASE WHEN has_table_privilege(h.name, c.oid, 'INSERT') THEN 'INSERT'"
          + "        WHEN has_any_column_privilege(h.name, c.oid, 'INSERT')"
          + "        THEN 'INSERT (columns)' END,"
          + "   CASE WHEN has_table_privilege(h.name, c.oid, 'UPDATE') THEN 'UPDATE'"
          + "        WHEN has_any_column_privilege(h.name, c.oid, 'UPDATE')"
          + "        THEN 'UPDATE (columns)' END,"
          + "   CASE WHEN has_table_privilege(h.name, c.oid, 'DELETE') THEN 'DELETE' END,"
          + "   CASE WHEN has_table_privilege(h.name, c.oid, 'TRUNCATE') THEN 'TRUNCATE' END,"
          + "   CASE WHEN has_table_privilege(h.name, c.oid, 'TRIGGER') THEN 'TRIGGER' END"
          + " ], NULL), ', ') AS privileges"
          + " FROM unnest(?::text[]) AS h(name)"
          + " CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind IN ('r', 'p', 'v', 'f') AND "
          + Pg.SYSTEM_SCHEMA_FILTER
          + " UNION ALL"
          + " SELECT h.name, 'sequence ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname),"
          + "   CASE WHEN has_sequence_privilege(h.name, c.oid, 'UPDATE') THEN 'UPDATE' ELSE '' END"
          + " FROM unnest(?::text[]) AS h(name)"
          + " CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE c.relkind = 'S' AND "
          + Pg.SYSTEM_SCHEMA_FILTER
          + " UNION ALL"
          + " SELECT h.name, 'schema ' || quote_ident(n.nspname),"
          + "   CASE WHEN has_schema_privilege(h.name, n.oid, 'CREATE') THEN 'CREATE' ELSE '' END"
          + " FROM unnest(?::text[]) AS h(name) CROSS JOIN pg_namespace n WHERE "
          + Pg.SYSTEM_SCHEMA_FILTER
          + " UNION ALL"
          + " SELECT h.name, 'database ' || quote_ident(current_database()),"
          + "   CASE WHEN has_database_privilege(h.name, current_database(), 'CREATE')"
          + "   THEN 'CREATE' ELSE '' END"
          + " FROM unnest(?::text[]) AS h(name)"
          + ") p WHERE privileges <> '' ORDER BY object, holder";

  /** Objects of this database owned by a role the account can act as. */
  private static final String OWNED =
      "SELECT pg_get_userbyid(c.relowner) AS owner,"
          + " CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'v' THEN 'view'"
          + "   WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'table' END"
          + "   || ' ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " JOIN pg_roles r ON r.oid = c.relowner"
          + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND "
          + Pg.SYSTEM_SCHEMA_FILTER
          + " AND "
          + MEMBER_OF
          + " UNION ALL"
          + " SELECT pg_get_userbyid(n.nspowner), 'schema ' || quote_ident(n.nspname)"
          + " FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE "
          + Pg.SYSTEM_SCHEMA_FILTER
          + " AND "
          + MEMBER_OF
          + " UNION ALL"
          + " SELECT pg_get_userbyid(d.datdba), 'database ' || quote_ident(d.datname)"
          + " FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
          + " WHERE d.datname = current_database() AND "
          + MEMBER_OF
          + " ORDER BY 2";

  /** Default privileges of this database that will grant writes to a role the account uses. */
  private static final String DEFAULT_GRANTS =
      "SELECT pg_get_userbyid(d.defaclrole) AS creator, n.nspname AS schema,"
          + " CASE d.defaclobjtype WHEN 'S' THEN 'SEQUENCES' ELSE 'TABLES' END AS kind,"
          + " string_agg(DISTINCT a.privilege_type, ', ') AS privileges, r.rolname AS grantee"
          + " FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
          + " CROSS JOIN LATERAL aclexplode(d.defaclacl) a JOIN pg_roles r ON r.oid = a.grantee"
          + " WHERE "
          + MEMBER_OF
          + " AND ((d.defaclobjtype = 'r'"
          + "   AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER'))"
          + "   OR (d.defaclobjtype = 'S' AND a.privilege_type = 'UPDATE'))"
          + " GROUP BY 1, 2, 3, 5 ORDER BY 1, 2, 3, 5";

  private PgRevoke() {}

  /**
   * Revokes {@code account}'s writes in the database {@code c} is connected to, ends its sessions
   * opened before the revoke and checks that no write path is left.
   *
   * @return what was done and checked
   * @throws ApplicationFailure non-retryable: {@code InvalidPlan} when the role does not exist,
   *     {@code WritePathsLeft} for a superuser (before any change) or for anything left
   */
  static String revoke(Connection c, String side, String account) throws SQLException {
    String attributes =
        Pg.text(
            c,
            "SELECT rolsuper::text || rolcreaterole::text FROM pg_roles WHERE rolname = ?",
            account);
    if (attributes == null) {
      throw RevokeReport.unknownAccount(side, account, "role '" + account + "' in pg_roles");
    }
    if (attributes.startsWith("true")) {
      throw RevokeReport.cannotRevoke(
          side,
          account,
          "is a superuser, whom privileges do not bind",
          "ALTER ROLE " + Pg.ident(account) + " NOSUPERUSER (or drop the role), then revoke again");
    }
    RevokeReport report = new RevokeReport(side, account);
    revokePrivileges(c, side, account, report);
    String revokedAt = Pg.text(c, "SELECT clock_timestamp()::text");
    report.sessionsEnded(Pg.terminateSessionsStartedBefore(c, List.of(account), revokedAt));
    for (String path : pathsLeft(c, account, revokedAt)) {
      report.left(path);
    }
    report.checked(
        "has_table_privilege, has_any_column_privilege, has_sequence_privilege,"
            + " has_schema_privilege and has_database_privilege of '"
            + account
            + "', each role it is a member of and PUBLIC in database "
            + Pg.text(c, "SELECT current_database()")
            + "; ownership; default privileges; CREATEROLE; prepared transactions; sessions");
    return report.result();
  }

  /**
   * The REVOKEs, in one transaction: the account's own grants, then its memberships in roles that
   * write. A superuser's REVOKE acts as each object's owner, so grants made by another grantor
   * stay; the check afterwards finds them.
   */
  private static void revokePrivileges(
      Connection c, String side, String account, RevokeReport report) throws SQLException {
    String who = Pg.ident(account);
    c.setAutoCommit(false);
    try {
      List<String> schemas =
          Pg.texts(
              c,
              "SELECT n.nspname FROM pg_namespace n WHERE "
                  + Pg.SYSTEM_SCHEMA_FILTER
                  + " ORDER BY 1");
      for (String schema : schemas) {
        String s = Pg.ident(schema);
        Pg.exec(c, "REVOKE " + TABLE_WRITES + " ON ALL TABLES IN SCHEMA " + s + " FROM " + who);
        Pg.exec(c, "REVOKE UPDATE ON ALL SEQUENCES IN SCHEMA " + s + " FROM " + who);
        Pg.exec(c, "REVOKE CREATE ON SCHEMA " + s + " FROM " + who);
      }
      report.revoked(
          TABLE_WRITES
              + " on all tables, UPDATE on all sequences and CREATE in schemas "
              + schemas);
      String db = Pg.text(c, "SELECT current_database()");
      Pg.exec(c, "REVOKE CREATE ON DATABASE " + Pg.ident(db) + " FROM " + who);
      report.revoked("CREATE on database " + db);
      for (Map<String, String> d : rows(c, DEFAULT_GRANTS, account)) {
        if (!account.equals(d.get("grantee"))) {
          continue; // a role's default grant: its membership goes below
        }
        Pg.exec(
            c,
            "ALTER DEFAULT PRIVILEGES FOR ROLE "
                + Pg.ident(d.get("creator"))
                + (d.get("schema") == null ? "" : " IN SCHEMA " + Pg.ident(d.get("schema")))
                + " REVOKE "
                + d.get("privileges")
                + " ON "
                + d.get("kind")
                + " FROM "
                + who);
        report.revoked(
            "default "
                + d.get("privileges")
                + " on "
                + d.get("kind")
                + " created by "
                + d.get("creator"));
      }
      Set<String> writers = new LinkedHashSet<>();
      Object holders = holders(c, account);
      for (Map<String, String> p : rows(c, TABLE_PATHS, holders, holders, holders, holders)) {
        writers.add(p.get("holder"));
      }
      writers.remove(account);
      writers.remove("public");
      for (String role :
          Pg.texts(
              c,
              "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                  + " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = ? ORDER BY 1",
              account)) {
        for (String writer : writers) {
          if ("true".equals(Pg.text(c, "SELECT pg_has_role(?, ?, 'MEMBER')::text", role, writer))) {
            Pg.exec(c, "REVOKE " + Pg.ident(role) + " FROM " + who);
            report.revoked("membership in role " + role + " (it writes through " + writer + ")");
            break;
          }
        }
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      if (Pg.is(e, "2BP01")) {
        throw ApplicationFailure.newNonRetryableFailureWithCause(
            side
                + ": the migration account '"
                + account
                + "' passed its write privileges on to other roles (WITH GRANT OPTION), so they"
                + " cannot be revoked without CASCADE, which would take them from those roles"
                + " too: "
                + e.getMessage()
                + "; find who holds them through it, then REVOKE ... CASCADE by hand",
            FailureTypes.WRITE_PATHS_LEFT,
            e);
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** Every write path left, each with its fix. */
  static List<String> pathsLeft(Connection c, String account, String revokedAt)
      throws SQLException {
    List<String> out = new ArrayList<>();
    String who = Pg.ident(account);
    Map<String, List<String>> byObject = new LinkedHashMap<>();
    Object holders = holders(c, account);
    for (Map<String, String> p : rows(c, TABLE_PATHS, holders, holders, holders, holders)) {
      String holder = p.get("holder");
      byObject
          .computeIfAbsent(p.get("privileges") + " on " + p.get("object"), k -> new ArrayList<>())
          .add(
              holder.equals(account)
                  ? "itself"
                  : holder.equals("public") ? "PUBLIC" : "role " + holder);
    }
    byObject.forEach(
        (what, by) -> {
          // The account first and PUBLIC last, whatever the names sort as.
          by.sort(
              Comparator.comparing(
                  (String h) -> h.equals("itself") ? 0 : h.equals("PUBLIC") ? 2 : 1));
          out.add(what + " (held by " + String.join(", ", by) + ")");
        });
    if (!byObject.isEmpty()) {
      out.add(
          "fix: revoke each from its holder (a grant made by another grantor than the owner must be"
              + " revoked by that grantor, \\dp shows who; a grant to PUBLIC reaches every role; a"
              + " role's: REVOKE <role> FROM "
              + who
              + ")");
    }
    for (Map<String, String> o : rows(c, OWNED, account, account, account)) {
      out.add(
          "owns "
              + o.get("object")
              + (o.get("owner").equals(account) ? "" : " through role " + o.get("owner"))
              + " (an owner can grant itself any privilege back: REASSIGN OWNED BY "
              + Pg.ident(o.get("owner"))
              + " TO <the application's owner>, or ALTER ... OWNER TO)");
    }
    for (Map<String, String> d : rows(c, DEFAULT_GRANTS, account)) {
      out.add(
          "default privileges give "
              + d.get("privileges")
              + " on "
              + d.get("kind")
              + " that "
              + d.get("creator")
              + " creates"
              + (d.get("schema") == null ? "" : " in schema " + d.get("schema"))
              + " to "
              + d.get("grantee")
              + " (ALTER DEFAULT PRIVILEGES FOR ROLE "
              + Pg.ident(d.get("creator"))
              + " ... REVOKE ... FROM "
              + Pg.ident(d.get("grantee"))
              + ")");
    }
    if ("true"
        .equals(
            Pg.text(c, "SELECT rolcreaterole::text FROM pg_roles WHERE rolname = ?", account))) {
      out.add(
          "it has CREATEROLE, with which it can grant itself roles that write (on PostgreSQL 15"
              + " and earlier any role that is not a superuser, pg_write_all_data included):"
              + " ALTER ROLE "
              + who
              + " NOCREATEROLE");
    }
    for (String gid :
        Pg.texts(
            c,
            "SELECT gid FROM pg_prepared_xacts WHERE owner = ? AND database = current_database()"
                + " ORDER BY prepared",
            account)) {
      out.add(
          "prepared transaction '"
              + gid
              + "' holds its uncommitted writes, which it may still COMMIT PREPARED: ROLLBACK"
              + " PREPARED "
              + Pg.literal(gid));
    }
    List<String> sessions =
        Pg.texts(
            c,
            "SELECT pid::text FROM pg_stat_activity WHERE usename = ?"
                + " AND datname = current_database() AND backend_type = 'client backend'"
                + " AND pid <> pg_backend_pid() AND backend_start < ?::timestamptz ORDER BY 1",
            account,
            revokedAt);
    if (!sessions.isEmpty()) {
      out.add(
          "sessions "
              + sessions
              + " opened before the revoke did not end within "
              + Pg.TERMINATE_TIMEOUT_MS
              + " ms of pg_terminate_backend (a session keeps a role it SET and may commit what"
              + " it wrote before): SELECT pg_terminate_backend(pid) for each");
    }
    return out;
  }

  /** The account, every role it is a member of, and PUBLIC. */
  private static Object holders(Connection c, String account) throws SQLException {
    List<String> names =
        new ArrayList<>(
            Pg.texts(
                c, "SELECT r.rolname FROM pg_roles r WHERE " + MEMBER_OF + " ORDER BY 1", account));
    names.add("public");
    return c.createArrayOf("text", names.toArray());
  }

  private static List<Map<String, String>> rows(Connection c, String sql, Object... args)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Pg.bind(ps, args);
      List<Map<String, String>> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        int columns = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, String> row = new LinkedHashMap<>();
          for (int i = 1; i <= columns; i++) {
            row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
          }
          out.add(row);
        }
      }
      return out;
    }
  }
}
