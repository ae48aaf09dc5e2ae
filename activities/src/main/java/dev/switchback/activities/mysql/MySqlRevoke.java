package dev.switchback.activities.mysql;

import dev.switchback.activities.support.EndedSessions;
import dev.switchback.activities.support.RevokeReport;
import io.temporal.failure.ApplicationFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finalize's revoke of the migration account on a MySQL or MariaDB server, then the proof that it
 * can no longer write.
 *
 * <p>A plan names the account by user name; each {@code 'user'@'host'} of that name is an account
 * of its own and each is revoked and checked. From {@code SHOW GRANTS} of each: the write
 * privileges ({@link ShowGrants#WRITE_PRIVILEGES}) at every level, column and routine grants
 * included, are revoked; a granted role whose privileges (or its roles', to any depth) write is
 * revoked from the account (MariaDB: and its default role reset when that was the one); a PROXY
 * grant is revoked. Then every session of the user is ended with {@code KILL CONNECTION}: a
 * connected session keeps its global and database privileges and the role it set until it
 * reconnects, so without the KILL a revoked account goes on writing.
 *
 * <p>The check afterwards reads SHOW GRANTS again for each account and each role it still holds,
 * and also: MariaDB's {@code PUBLIC} grants (10.11+), MySQL's {@code mandatory_roles}, and the
 * anonymous accounts ({@code ''@'host'}), which a login as the user from a matching host may be
 * given. Those three are not revoked (they serve other accounts too); one that writes fails the
 * step with its fix.
 */
final class MySqlRevoke {
  // An authenticating session shows in the process list only once logged in: a second pass a
  // moment later catches one that logged in with the old privileges while the first ran.
  private static final long LOGIN_GRACE_MS = 150;

  private static final int UNKNOWN_THREAD = 1094;

  private final Connection c;
  private final Dialect dialect;
  private final String side;
  private final String user;

  private MySqlRevoke(Connection c, Dialect dialect, String side, String user) {
    this.c = c;
    this.dialect = dialect;
    this.side = side;
    this.user = user;
  }

  /**
   * Revokes the writes of every account named {@code user}, ends their sessions and checks that no
   * write path is left.
   *
   * @throws ApplicationFailure non-retryable: {@code InvalidPlan} when no account has that name,
   *     {@code WritePathsLeft} for anything left
   */
  static String revoke(Connection c, String side, String user) throws SQLException {
    return new MySqlRevoke(c, Dialect.of(c), side, user).run();
  }

  private String run() throws SQLException {
    List<Account> accounts = accounts();
    if (accounts.isEmpty()) {
      throw RevokeReport.unknownAccount(
          side, user, "account '" + user + "'@<any host> in mysql.user");
    }
    RevokeReport report = new RevokeReport(side, user);
    for (Account account : accounts) {
      revokeFrom(account, report);
    }
    endSessions(report);
    for (Account account : accounts) {
      checkAccount(account.spec(), report);
    }
    checkShared(report);
    report.checked(
        "SHOW GRANTS FOR "
            + String.join(", ", accounts.stream().map(Account::spec).toList())
            + " and every role granted to them"
            + (dialect.mariadb() ? ", PUBLIC" : ", mandatory_roles")
            + ", anonymous accounts, the process list");
    return report.result();
  }

  /** One account of the user: its host, and {@code 'user'@'host'} for statements. */
  private record Account(String host, String spec) {}

  /** Every account of that user name (roles are not accounts). */
  private List<Account> accounts() throws SQLException {
    List<Account> out = new ArrayList<>();
    for (Map<String, Object> r :
        Sql.rows(
            c,
            "SELECT Host FROM mysql.user WHERE User = ?"
                + (dialect.mariadb() ? " AND is_role = 'N'" : "")
                + " ORDER BY Host",
            user)) {
      String host = Sql.text(r, "Host");
      out.add(new Account(host, account(user, host)));
    }
    return out;
  }

  private String account(String name, String host) throws SQLException {
    return Sql.literal(c, name) + "@" + Sql.literal(c, host);
  }

  private List<ShowGrants.Grant> grants(String grantee) throws SQLException {
    List<String> lines = new ArrayList<>();
    for (Map<String, Object> r : Sql.showRows(c, "SHOW GRANTS FOR " + grantee)) {
      lines.add(r.values().iterator().next().toString());
    }
    return ShowGrants.parse(lines);
  }

  private void revokeFrom(Account a, RevokeReport report) throws SQLException {
    String account = a.spec();
    for (ShowGrants.Grant g : grants(account)) {
      switch (g.kind()) {
        case PRIVILEGES -> {
          List<String> privileges = ShowGrants.toRevoke(g, dialect.mariadb());
          if (!privileges.isEmpty()) {
            String what = String.join(", ", privileges) + " ON " + g.level();
            Sql.exec(c, "REVOKE " + what + " FROM " + account);
            report.revoked(what + " from " + account);
          }
        }
        case PROXY -> {
          Sql.exec(c, "REVOKE PROXY ON " + g.level() + " FROM " + account);
          report.revoked("PROXY ON " + g.level() + " from " + account);
        }
        case ROLES -> {
          for (String role : g.roles()) {
            List<String> writes = roleWrites(role);
            if (!writes.isEmpty()) {
              Sql.exec(c, "REVOKE " + role + " FROM " + account);
              report.revoked("role " + role + " from " + account + " (" + writes.get(0) + ")");
              resetDefaultRole(a, role);
            }
          }
        }
      }
    }
  }

  /**
   * MariaDB keeps a revoked role as the account's default, and its logins then fail to set it: the
   * default goes too. MySQL drops a revoked role from the defaults itself.
   */
  private void resetDefaultRole(Account a, String role) throws SQLException {
    if (!dialect.mariadb()) {
      return;
    }
    String current =
        Sql.one(
            c, "SELECT default_role FROM mysql.user WHERE User = ? AND Host = ?", user, a.host());
    if (current != null && Sql.ident(current).equals(role)) {
      Sql.exec(c, "SET DEFAULT ROLE NONE FOR " + a.spec());
    }
  }

  /**
   * The write privileges a role carries, itself or through the roles granted to it, each as {@code
   * PRIVILEGE ON level through role}; empty when it only reads.
   */
  private List<String> roleWrites(String role) throws SQLException {
    List<String> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(role));
    while (!todo.isEmpty()) {
      String r = todo.pop();
      if (!seen.add(r)) {
        continue;
      }
      for (ShowGrants.Grant g : grants(r)) {
        if (g.kind() == ShowGrants.Kind.ROLES) {
          todo.addAll(g.roles());
        } else if (!g.writes().isEmpty()) {
          out.add(String.join(", ", g.writes()) + " ON " + g.level() + " through role " + r);
        }
      }
    }
    return out;
  }

  /**
   * KILLs every session of the user: a connected session keeps its global and database privileges
   * and the role it set until it reconnects.
   */
  private void endSessions(RevokeReport report) throws SQLException {
    Set<Long> killed = new LinkedHashSet<>(kill());
    EndedSessions.pause(LOGIN_GRACE_MS);
    killed.addAll(kill());
    EndedSessions.report(
        report, killed, EndedSessions.stillListed(killed, this::sessions), "KILL CONNECTION each");
  }

  private List<Long> kill() throws SQLException {
    List<Long> ids = new ArrayList<>();
    for (long id : sessions()) {
      try {
        Sql.exec(c, "KILL CONNECTION " + id);
        ids.add(id);
      } catch (SQLException e) {
        if (e.getErrorCode() != UNKNOWN_THREAD) {
          throw e;
        }
      }
    }
    return ids;
  }

  /** The user's sessions but this one. */
  private List<Long> sessions() throws SQLException {
    List<Long> out = new ArrayList<>();
    for (Map<String, Object> r :
        Sql.rows(
            c,
            "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = ? AND ID <> CONNECTION_ID()",
            user)) {
      out.add(Sql.number(r, "ID"));
    }
    return out;
  }

  private void checkAccount(String account, RevokeReport report) throws SQLException {
    for (ShowGrants.Grant g : grants(account)) {
      switch (g.kind()) {
        case PRIVILEGES -> {
          if (!g.writes().isEmpty()) {
            report.left(
                String.join(", ", g.writes())
                    + " ON "
                    + g.level()
                    + " granted to "
                    + account
                    + " (REVOKE it by hand)");
          }
        }
        case PROXY -> report.left("PROXY ON " + g.level() + " granted to " + account);
        case ROLES -> {
          for (String role : g.roles()) {
            for (String w : roleWrites(role)) {
              report.left(
                  w + ", granted to " + account + " (REVOKE " + role + " FROM " + account + ")");
            }
          }
        }
      }
    }
  }

  /**
   * Grants that reach the user without being its own: not revoked here, but they must not write.
   */
  private void checkShared(RevokeReport report) throws SQLException {
    if (dialect.mariadb()) {
      List<ShowGrants.Grant> pub;
      try {
        pub = grants("PUBLIC");
      } catch (SQLException e) {
        pub = List.of(); // before 10.11 there is no PUBLIC
      }
      for (ShowGrants.Grant g : pub) {
        if (g.kind() == ShowGrants.Kind.PRIVILEGES && !g.writes().isEmpty()) {
          report.left(
              String.join(", ", g.writes())
                  + " ON "
                  + g.level()
                  + " granted to PUBLIC, which every account holds (REVOKE ... FROM PUBLIC)");
        }
      }
    } else {
      String mandatory = Sql.one(c, "SELECT @@GLOBAL.mandatory_roles");
      for (String role : mandatoryRoles(mandatory)) {
        for (String w : roleWrites(role)) {
          report.left(w + ", a mandatory role every account holds (change mandatory_roles)");
        }
      }
    }
    Map<String, List<String>> anonymous = new LinkedHashMap<>();
    for (Map<String, Object> r :
        Sql.rows(
            c,
            "SELECT Host FROM mysql.user WHERE User = ''"
                + (dialect.mariadb() ? " AND is_role = 'N'" : "")
                + " ORDER BY Host")) {
      String account = account("", Sql.text(r, "Host"));
      for (ShowGrants.Grant g : grants(account)) {
        if (g.kind() == ShowGrants.Kind.PRIVILEGES && !g.writes().isEmpty()) {
          anonymous
              .computeIfAbsent(account, k -> new ArrayList<>())
              .add(String.join(", ", g.writes()) + " ON " + g.level());
        }
      }
    }
    anonymous.forEach(
        (account, writes) ->
            report.left(
                "anonymous account "
                    + account
                    + " holds "
                    + String.join("; ", writes)
                    + ", and a login as '"
                    + user
                    + "' from a host it matches more closely is given it (DROP USER "
                    + account
                    + ")"));
  }

  /**
   * {@code mandatory_roles} as role specs: {@code r}, {@code r@h}, {@code `r`@`h`}, commas between.
   */
  static List<String> mandatoryRoles(String setting) {
    List<String> out = new ArrayList<>();
    if (setting == null || setting.isBlank()) {
      return out;
    }
    for (String part : setting.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      if (p.startsWith("`") || p.startsWith("'")) {
        out.add(p);
        continue;
      }
      int at = p.lastIndexOf('@');
      String name = at < 0 ? p : p.substring(0, at);
      String host = at < 0 ? "%" : p.substring(at + 1);
      out.add(Sql.ident(name) + "@" + Sql.ident(host));
    }
    return out;
  }
}
