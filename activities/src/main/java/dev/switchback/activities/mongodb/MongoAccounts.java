package dev.switchback.activities.mongodb;

import dev.switchback.activities.spi.EngineContext;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.SessionAccounts;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who a {@code $currentOp} entry belongs to. MongoDB users are {@code name@db} and case-sensitive,
 * so this does not use {@link SessionAccounts}' case folding. A plan names an account as {@code
 * name@db}, or as {@code name} for a user defined in {@code admin}.
 *
 * <p>An idle session holding a transaction reports no {@code effectiveUsers}, only its logical
 * session id, whose {@code uid} is the SHA-256 of the user's {@code name@db} (the server's
 * getLogicalSessionUserDigestFor). Hashing the plan's accounts the same way names those sessions.
 *
 * @param application the application's accounts as {@code name@db}; empty means every user but the
 *     migration account and Switchback's own
 * @param migration the migration account as {@code name@db}, or null
 */
record MongoAccounts(List<String> application, String migration) {

  /** The user internal cluster traffic (replication, chunk migration) authenticates as. */
  static final String SYSTEM_USER = "__system@local";

  static MongoAccounts of(EngineContext ctx) {
    String m = ctx.migrationAccount();
    return new MongoAccounts(
        ctx.endpoint().withDefaults().applicationAccounts().stream()
            .map(MongoAccounts::fullName)
            .toList(),
        m == null || m.isBlank() ? null : fullName(m));
  }

  /** {@code name@db}; a bare name is a user of {@code admin}. */
  static String fullName(String account) {
    String a = account.strip();
    return a.contains("@") ? a : a + "@admin";
  }

  /** The user name part of {@code name@db}. */
  static String userPart(String fullName) {
    int at = fullName.lastIndexOf('@');
    return at < 0 ? fullName : fullName.substring(0, at);
  }

  /** The database part of {@code name@db}. */
  static String dbPart(String fullName) {
    int at = fullName.lastIndexOf('@');
    return at < 0 ? "admin" : fullName.substring(at + 1);
  }

  /** The logical session {@code uid} of a user: SHA-256 of {@code name@db}, as hex. */
  static String uidOf(String fullName) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(fullName.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always present in Java", e);
    }
  }

  /** The plan's accounts by their session uid, to name idle sessions. */
  Map<String, String> byUid() {
    Map<String, String> out = new LinkedHashMap<>();
    application.forEach(a -> out.put(uidOf(a), a));
    if (migration != null) {
      out.put(uidOf(migration), migration);
    }
    return out;
  }

  /**
   * @param user {@code name@db}, or null when the entry does not say
   */
  SessionAccounts.Kind kindOf(String user, String appName) {
    if (Connections.APPLICATION_NAME.equals(appName)) {
      return SessionAccounts.Kind.SWITCHBACK;
    }
    if (user != null && user.equals(migration)) {
      return SessionAccounts.Kind.MIGRATION;
    }
    if (SYSTEM_USER.equals(user)) {
      return SessionAccounts.Kind.OTHER;
    }
    if (application.isEmpty()) {
      return SessionAccounts.Kind.APPLICATION;
    }
    return user != null && application.contains(user)
        ? SessionAccounts.Kind.APPLICATION
        : SessionAccounts.Kind.OTHER;
  }
}
