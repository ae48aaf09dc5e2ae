package dev.switchback.activities.support;

import dev.switchback.activities.spi.EngineContext;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whose session is this: the rule every engine's session check shares. The seed's session check
 * asks for application write sessions only: the migration account's sessions (the seed recommends a
 * dedicated account so they are easy to tell apart) and Switchback's own are left out.
 *
 * <p>Account names compare without case: SQL Server's default collations, Oracle's unquoted names
 * and the plan's lowercase habit all treat {@code APP} and {@code app} as one account.
 *
 * @param application names of the accounts the application writes with; empty means every account
 *     but the migration account and Switchback's own
 * @param migration names of the migration account (one account may have several names, such as a
 *     SQL Server login and its database user)
 */
public record SessionAccounts(Set<String> application, Set<String> migration) {

  /** Whose a session is. */
  public enum Kind {
    APPLICATION,
    MIGRATION,
    SWITCHBACK,
    /** An account the plan did not name as the application's (a DBA, a monitoring agent). */
    OTHER
  }

  public SessionAccounts {
    application = folded(application);
    migration = folded(migration);
  }

  /** The endpoint's application accounts and the plan's migration account. */
  public static SessionAccounts of(EngineContext ctx) {
    String m = ctx.migrationAccount();
    return new SessionAccounts(
        Set.copyOf(ctx.endpoint().withDefaults().applicationAccounts()),
        m == null || m.isBlank() ? Set.of() : Set.of(m));
  }

  /** The same rule with more names for the application's accounts and the migration account. */
  public SessionAccounts withAliases(
      Collection<String> applicationAliases, Collection<String> migrationAliases) {
    TreeSet<String> app = new TreeSet<>(application);
    app.addAll(applicationAliases);
    TreeSet<String> mig = new TreeSet<>(migration);
    mig.addAll(migrationAliases);
    return new SessionAccounts(app, mig);
  }

  /** Whether {@code user} is (a name of) the migration account. */
  public boolean isMigration(String user) {
    return user != null && migration.contains(fold(user));
  }

  /**
   * @param user the account the session authenticated as (null when the engine does not say)
   * @param applicationName the client's self-declared name ({@code application_name}, {@code
   *     program_name}, {@code appName})
   */
  public Kind kindOf(String user, String applicationName) {
    if (Connections.APPLICATION_NAME.equals(applicationName)) {
      return Kind.SWITCHBACK;
    }
    if (isMigration(user)) {
      return Kind.MIGRATION;
    }
    if (application.isEmpty()) {
      return Kind.APPLICATION;
    }
    return user != null && application.contains(fold(user)) ? Kind.APPLICATION : Kind.OTHER;
  }

  private static Set<String> folded(Set<String> names) {
    TreeSet<String> out = new TreeSet<>();
    for (String n : names) {
      if (n != null && !n.isBlank()) {
        out.add(fold(n));
      }
    }
    return Set.copyOf(out);
  }

  private static String fold(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
