package dev.switchback.activities.redis;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.support.RevokeReport;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.resps.AccessControlUser;

/**
 * Finalize's revoke of the migration account on Redis: {@code ACL SETUSER account -@write}, then
 * its connections are closed (a MULTI it queued writes before the revoke would otherwise EXEC),
 * then the server is asked, as the account ({@code ACL DRYRUN}, Redis 7.0+), whether it may still
 * write a key it can reach or give itself its writes back with {@code ACL SETUSER}. Not verified: a
 * server without an ACL file forgets the change at its next restart (the result says so), and
 * before 7.0 nothing can be asked.
 */
final class RedisRevoke {
  private RedisRevoke() {}

  static String revoke(Jedis j, RedisEndpoint e, String account) {
    AccessControlUser user;
    try {
      user = j.aclGetUser(account);
    } catch (JedisDataException ex) {
      if (RedisCalls.isPermission(ex)) {
        throw ex;
      }
      throw ApplicationFailure.newNonRetryableFailure(
          e
              + " has no ACL (Redis 6.0+ is needed: "
              + ex.getMessage()
              + "); revoke the migration account's writes by hand (rename-command or a"
              + " password change)",
          FailureTypes.PERMISSION);
    }
    String side = e.field();
    if (user == null) {
      // ACL SETUSER would create the user: a misspelt name must not pass.
      throw RevokeReport.unknownAccount(side, account, "ACL user '" + account + "' on " + e);
    }
    j.aclSetUser(account, "-@write");
    String persisted;
    try {
      j.aclSave();
      persisted = "saved to the ACL file";
    } catch (JedisDataException ex) {
      persisted =
          "in memory only: the server has no ACL file, so add '-@write' to the user in its"
              + " configuration too, or it returns at the next restart";
    }
    RevokeReport report =
        new RevokeReport(side, account)
            .revoked("write commands (ACL SETUSER " + account + " -@write), " + persisted);
    List<String> ended = new ArrayList<>();
    for (ClientEntry c : ClientEntry.parse(j.clientList())) {
      if (account.equals(c.user()) && j.clientKill(new ClientKillParams().id(c.id())) > 0) {
        ended.add(c.id());
      }
    }
    report.sessionsEnded(ended.size());
    for (ClientEntry c : ClientEntry.parse(j.clientList())) {
      if (ended.contains(c.id())) {
        report.left("connection " + c.id() + " was still open after CLIENT KILL");
      }
    }
    String probeKey = probeKey(user.getKeysList());
    List<List<String>> probes = new ArrayList<>();
    if (probeKey != null) {
      probes.add(List.of("set", probeKey, "x"));
      probes.add(List.of("del", probeKey));
    }
    probes.add(List.of("acl", "setuser", account, "+@write"));
    boolean asked = true;
    for (List<String> cmd : probes) {
      String verdict = RedisCalls.dryRun(j, account, cmd);
      if (verdict == null) {
        asked = false; // ACL DRYRUN arrived in 7.0
        break;
      }
      if ("OK".equalsIgnoreCase(verdict)) {
        report.left(
            String.join(" ", cmd).toUpperCase()
                + " is still allowed (ACL SETUSER "
                + account
                + " -"
                + cmd.get(0)
                + ")");
      }
    }
    report.checked(
        asked
            ? "ACL DRYRUN as " + account + " of " + probes.size() + " write commands, CLIENT LIST"
            : "CLIENT LIST only (ACL DRYRUN needs Redis 7.0)");
    return report.result();
  }

  /**
   * A key the account may reach, from its key patterns ({@code ~pattern}, {@code %RW~pattern}), so
   * that a refusal is about the command and not the key; null when it reaches none.
   */
  static String probeKey(List<String> patterns) {
    if (patterns == null) {
      return null;
    }
    for (String p : patterns) {
      String pattern = p.strip();
      if (pattern.equals("allkeys")) {
        return "switchback:revoke-probe";
      }
      int tilde = pattern.indexOf('~');
      if (tilde < 0 || pattern.substring(0, tilde).matches("%R")) {
        continue; // not a key pattern, or read-only keys
      }
      return concrete(pattern.substring(tilde + 1));
    }
    return null;
  }

  /** A key that {@code glob} matches: each wildcard and class replaced by one plain character. */
  static String concrete(String glob) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char ch = glob.charAt(i);
      switch (ch) {
        case '*' -> {}
        case '?' -> b.append('x');
        case '\\' -> {
          if (i + 1 < glob.length()) {
            b.append(glob.charAt(++i));
          }
        }
        case '[' -> {
          int end = glob.indexOf(']', i + 2);
          char first = i + 1 < glob.length() ? glob.charAt(i + 1) : 'x';
          b.append(first == '^' || end < 0 ? 'x' : first);
          i = end < 0 ? glob.length() : end;
        }
        default -> b.append(ch);
      }
    }
    return b.length() == 0 ? "switchback:revoke-probe" : b.toString();
  }
}
