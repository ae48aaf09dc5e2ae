package dev.switchback.activities.router.haproxy;

import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.CappedBody;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.WebUrls;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;

/**
 * The HAProxy router's preflight, on every instance, changing nothing: who can reach the runtime
 * API, whether it is at level admin (asked with {@code show cli level}, not by trying a change),
 * whether the backend and both servers exist, and whether the cutover starts where it must: the
 * source ready, the destination and any other server of the backend in maint.
 */
final class HaproxyPreflight {
  private HaproxyPreflight() {}

  static List<PreflightCheck> checks(Proxies p) {
    List<PreflightCheck> out = new ArrayList<>();
    for (RuntimeApi api : p.apis) {
      String name = "haproxy " + api.url;
      out.add(exposure(name, api));
      try {
        out.add(level(name, p, api));
        Backend b = p.read(api, false);
        out.add(
            new PreflightCheck(
                name + ": backend and servers",
                true,
                "backend "
                    + p.backend
                    + " has "
                    + p.label(Side.SOURCE)
                    + " and "
                    + p.label(Side.DESTINATION)));
        out.add(start(name, p, b));
      } catch (RouterUnavailableException e) {
        out.add(new PreflightCheck(name + ": runtime API reachable", false, e.getMessage()));
      } catch (ApplicationFailure e) {
        out.add(new PreflightCheck(name + ": backend and servers", false, e.getOriginalMessage()));
      }
    }
    return out;
  }

  /** The runtime API has no authentication: whoever reaches it may drive the application. */
  private static PreflightCheck exposure(String name, RuntimeApi api) {
    String check = name + ": who can reach the runtime API";
    if (api.unix()) {
      return new PreflightCheck(
          check,
          true,
          "a Unix socket: whoever may open the file (keep it mode 600 or 660, owned by HAProxy and"
              + " the worker's group)");
    }
    if (WebUrls.isLoopback(api.host())) {
      return new PreflightCheck(check, true, "loopback: only processes on HAProxy's host reach it");
    }
    return PreflightCheck.warning(
        check,
        api.field
            + " "
            + api.url
            + " is not on loopback: HAProxy's runtime API has no authentication and no"
            + " encryption, so anyone who reaches "
            + api.host()
            + " on that port can read the backends and, at level admin, stop or redirect the"
            + " application's connections. Run the worker beside HAProxy and bind the socket to"
            + " 127.0.0.1 or a Unix socket (mode 600), or let only the worker's address reach the"
            + " port");
  }

  private static PreflightCheck level(String name, Proxies p, RuntimeApi api) {
    String level = p.level(api);
    boolean admin = "admin".equals(level);
    return new PreflightCheck(
        name + ": runtime API level admin",
        admin,
        admin
            ? "the stats socket is at level admin (set server and shutdown sessions allowed)"
            : api.field
                + ": the stats socket answers level '"
                + CappedBody.excerpt(level)
                + "' to show cli level; the router needs admin for set server and shutdown"
                + " sessions (fix: "
                + Proxies.ADMIN_FIX
                + ")");
  }

  /** The source takes the connections, nothing else does. */
  private static PreflightCheck start(String name, Proxies p, Backend b) {
    String check = name + ": source ready, destination in maint";
    Backend.Server src = b.server(p.server(Side.SOURCE));
    Backend.Server dst = b.server(p.server(Side.DESTINATION));
    List<String> problems = new ArrayList<>();
    if (!src.usable()) {
      problems.add(
          p.label(Side.SOURCE)
              + " is "
              + src.word()
              + ": the application must reach the source through HAProxy before the cutover (set"
              + " server "
              + p.backend
              + "/"
              + src.name()
              + " state ready)");
    }
    if (!dst.maint()) {
      problems.add(
          p.label(Side.DESTINATION)
              + " is "
              + dst.word()
              + ": it must be in maint until the switch (declare it disabled in haproxy.cfg, or"
              + " set server "
              + p.backend
              + "/"
              + dst.name()
              + " state maint)");
    }
    for (Backend.Server s : b.servers()) {
      if (s != src && s != dst && !s.maint()) {
        problems.add(
            "server "
                + s.name()
                + " of backend "
                + p.backend
                + " is "
                + s.word()
                + ": the router does not drive it, so it would take the application's connections"
                + " while both others are in maint (a backup server does exactly that); remove it"
                + " or keep it in maint");
      }
    }
    return new PreflightCheck(
        check, problems.isEmpty(), problems.isEmpty() ? p.states(b) : String.join("; ", problems));
  }
}
