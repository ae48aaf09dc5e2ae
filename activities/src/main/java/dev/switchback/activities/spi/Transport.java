package dev.switchback.activities.spi;

/**
 * How one connection of a cutover is protected on the wire, as far as Switchback can tell from the
 * plan and the servers: the worker's admin connection to an endpoint, or a replication link between
 * the two servers. Preflight shows every one that is not {@link Protection#VERIFIED} as a warning,
 * and fails it when the plan demands verified TLS (docs/security.md, "Transport").
 *
 * @param connection what connects where, for the check's name ({@code source}, {@code forward link
 *     (destination -> source)})
 * @param detail what was found and, unless verified, the fix; never a secret
 */
public record Transport(String connection, Protection protection, String detail) {

  /** From worst to best; the order matters only for reading. */
  public enum Protection {
    /** Switchback cannot tell (an engine or provider that does not say). */
    UNKNOWN,
    /** No TLS, or TLS only when the server offers it, so a man in the middle can turn it off. */
    PLAINTEXT,
    /** TLS, but the server's certificate is not checked: a man in the middle can answer. */
    UNVERIFIED,
    /** TLS with the server's certificate checked against a trusted CA. */
    VERIFIED
  }

  /** What a driver's TLS setting does, whatever the driver calls it. */
  public enum Mode {
    /** No TLS. */
    OFF,
    /** TLS when the server offers it, nothing checked (libpq's prefer, Connector/J PREFERRED). */
    IF_OFFERED,
    /** TLS required, the certificate not checked. */
    UNCHECKED,
    /** TLS, the certificate checked against a CA; not the host name. */
    CA,
    /** TLS, the certificate and the host name checked. */
    CA_AND_HOST
  }

  /**
   * A connection whose driver setting is {@code mode}, in the words every engine uses.
   *
   * @param said what the setting is, as the plan wrote it ({@code source.url has sslmode=require})
   * @param fix what to do unless verified, starting with "; "
   */
  public static Transport of(String connection, String said, Mode mode, String fix) {
    return switch (mode) {
      case OFF -> plaintext(connection, said + ": no TLS" + fix);
      case IF_OFFERED ->
          plaintext(
              connection,
              said
                  + ": encrypted only when the server offers TLS, no certificate checked, and a"
                  + " man in the middle can turn TLS off"
                  + fix);
      case UNCHECKED ->
          unverified(
              connection, said + ": encrypted, but the server's certificate is not checked" + fix);
      case CA ->
          verified(
              connection, said + ": TLS, the server's certificate checked; its host name is not");
      case CA_AND_HOST ->
          verified(connection, said + ": TLS, the server's certificate and host name checked");
    };
  }

  public static Transport verified(String connection, String detail) {
    return new Transport(connection, Protection.VERIFIED, detail);
  }

  public static Transport unverified(String connection, String detail) {
    return new Transport(connection, Protection.UNVERIFIED, detail);
  }

  public static Transport plaintext(String connection, String detail) {
    return new Transport(connection, Protection.PLAINTEXT, detail);
  }

  public static Transport unknown(String connection, String detail) {
    return new Transport(connection, Protection.UNKNOWN, detail);
  }

  public boolean verified() {
    return protection == Protection.VERIFIED;
  }
}
