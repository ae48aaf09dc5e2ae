package dev.switchback.messages.values;

/**
 * One preflight check: what was checked, whether it holds, and what to do if not.
 *
 * @param warning the check holds but names a risk the operator should see (a connection that is not
 *     verified TLS, docs/security.md "Transport"); never set on a check that does not hold. Absent
 *     in histories recorded before it existed, where it reads as false.
 */
public record PreflightCheck(String check, boolean ok, String detail, boolean warning) {

  public PreflightCheck(String check, boolean ok, String detail) {
    this(check, ok, detail, false);
  }

  /** A check that holds, with a risk worth showing. */
  public static PreflightCheck warning(String check, String detail) {
    return new PreflightCheck(check, true, detail, true);
  }

  public PreflightCheck withCheck(String name) {
    return new PreflightCheck(name, ok, detail, warning);
  }

  public PreflightCheck withDetail(String text) {
    return new PreflightCheck(check, ok, text, warning);
  }
}
