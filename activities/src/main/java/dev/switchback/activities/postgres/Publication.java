package dev.switchback.activities.postgres;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The forward instance's publication on the source. Whether Switchback made it is recorded on the
 * publication itself (its comment), where terminate finds it on any worker and after any restart:
 * what {@code switchback setup-forward} made is part of the instance and ends with it; what the
 * operator made stays theirs.
 */
final class Publication {
  // The comment's first words; the rest says why, for a DBA who finds it in \dRp+.
  static final String MARKER = "made by switchback setup-forward";

  private Publication() {}

  /** Creates the publication {@code FOR ALL TABLES} and marks it, in one transaction. */
  static void createMarked(Connection c, String name) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      Pg.exec(c, "CREATE PUBLICATION " + Pg.ident(name) + " FOR ALL TABLES");
      Pg.exec(
          c,
          "COMMENT ON PUBLICATION "
              + Pg.ident(name)
              + " IS "
              + Pg.literal(
                  MARKER
                      + " for the forward instance "
                      + name
                      + "; terminating that instance (rollback or finalize) drops it"));
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /** Null when the connection's database has no publication {@code name}, else who made it. */
  static Boolean madeBySwitchback(Connection c, String name) throws SQLException {
    if (!Pg.exists(c, "SELECT 1 FROM pg_publication WHERE pubname = ?", name)) {
      return null;
    }
    return Pg.exists(
        c,
        "SELECT 1 FROM pg_publication WHERE pubname = ?"
            + " AND starts_with(coalesce(obj_description(oid, 'pg_publication'), ''), ?)",
        name,
        MARKER);
  }

  /** The command an operator runs to drop it, where to run it. */
  static String dropAdvice(String name, PgEndpoint publisher) {
    return "publication "
        + name
        + " was not made by Switchback and stays; once nothing else uses it, run in database "
        + publisher.database()
        + " on the "
        + publisher.field()
        + ": DROP PUBLICATION "
        + Pg.ident(name)
        + ";";
  }
}
