package dev.switchback.activities.router.haproxy;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.spi.TrafficRouter;
import dev.switchback.messages.values.PreflightCheck;
import dev.switchback.messages.values.RouterState;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.RouterSpec;
import java.util.List;

/**
 * The application reaches its database through HAProxy, whose backend {@code router.backend} holds
 * a server for the source and one for the destination; the router drives HAProxy's runtime API
 * (docs/routers-haproxy.md), on every instance the plan lists, as one.
 *
 * <ul>
 *   <li>quiesce: both servers to {@code maint} (no new sessions), then {@code shutdown sessions} on
 *       both (the open ones end), then wait until HAProxy counts no session on either. Both,
 *       because on a rollback after the switch the application is on the destination. Not {@code
 *       drain}: a drained server still takes persistent connections, and a pooled database
 *       connection never ends by itself, so draining would only wait.
 *   <li>point: the target's server to {@code ready}, the other left in {@code maint}; then wait
 *       until HAProxy counts the target up. New connections flow from here on.
 *   <li>resume: nothing left to open: reads the state and checks exactly the target is open.
 * </ul>
 *
 * Never two writable targets: a backend where both servers take connections is refused, naming
 * both, and left as it is for a person to decide which database was written.
 */
public final class HaproxyRouter implements TrafficRouter {
  public static final String NAME = RouterSpec.HAPROXY;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public RouterState quiesce(String cutoverId, CutoverPlan plan) {
    Proxies p = new Proxies(plan);
    // Every instance has the backend and both servers, and takes changes, before anything changes.
    p.readAll();
    p.requireAdmin();
    // First no new session anywhere, then end the open ones: ended earlier, a client could
    // reconnect through an instance not yet in maint.
    for (RuntimeApi api : p.apis) {
      for (Side side : Side.values()) {
        p.setState(api, side, "maint");
      }
    }
    for (RuntimeApi api : p.apis) {
      for (Side side : Side.values()) {
        p.shutdownSessions(api, side);
      }
    }
    long started = System.nanoTime();
    List<Backend> views =
        p.await(
            true,
            (api, b) -> quiet(p, b),
            (api, b) -> {
              for (Side side : Side.values()) {
                if (b.server(p.server(side)).open()) {
                  p.setState(api, side, "maint");
                }
                p.shutdownSessions(api, side);
              }
            });
    if (!views.stream().allMatch(b -> quiet(p, b))) {
      throw new RouterUnavailableException(
          "haproxy router: backend "
              + p.backend
              + " still has sessions or an open server "
              + p.timeoutText()
              + " after maint and shutdown sessions: "
              + sessions(p, views)
              + " (a server open again was enabled by someone else)");
    }
    return new RouterState(
        null,
        true,
        "haproxy backend "
            + p.backend
            + ": "
            + p.label(Side.SOURCE)
            + " and "
            + p.label(Side.DESTINATION)
            + " in maint on "
            + p.apis
            + ", no session left (waited "
            + (System.nanoTime() - started) / 1_000_000
            + " ms); new connections are refused until point");
  }

  @Override
  public RouterState point(String cutoverId, CutoverPlan plan, Side target) {
    Proxies p = new Proxies(plan);
    Side other = target.other();
    List<Backend> before = p.readAll();
    p.requireAdmin();
    for (int i = 0; i < before.size(); i++) {
      Backend b = before.get(i);
      refuseBothOpen(p, p.apis.get(i), b);
      if (b.server(p.server(other)).open()) {
        throw p.failure(
            Proxies.serverField(other),
            "on HAProxy at "
                + p.apis.get(i).url
                + " "
                + p.label(other)
                + " is "
                + b.server(p.server(other)).word()
                + ", not in maint: the application is not quiesced there, so pointing it at the "
                + target.word()
                + " would give it two writable targets",
            "find out who enabled it; quiesce again (the cutover's rollback does), or put it in"
                + " maint by hand: set server "
                + p.backend
                + "/"
                + p.server(other)
                + " state maint",
            FailureTypes.ROUTER);
      }
    }
    for (RuntimeApi api : p.apis) {
      p.setState(api, target, "ready");
    }
    List<Backend> views =
        p.await(
            false,
            (api, b) -> {
              refuseBothOpen(p, api, b);
              return b.server(p.server(target)).usable() && b.server(p.server(other)).maint();
            },
            (api, b) -> {});
    for (Backend b : views) {
      if (!b.server(p.server(target)).usable()) {
        throw new RouterUnavailableException(
            "haproxy router: "
                + p.label(target)
                + " was set ready but is not usable "
                + p.timeoutText()
                + ": "
                + p.states(views)
                + "; a server down by health check means HAProxy cannot reach the "
                + target.word()
                + " database");
      }
    }
    return new RouterState(
        target,
        false,
        "haproxy backend "
            + p.backend
            + ": new connections go to "
            + p.label(target)
            + " on "
            + p.apis
            + ", "
            + p.label(other)
            + " in maint");
  }

  @Override
  public RouterState resume(String cutoverId, CutoverPlan plan) {
    Proxies p = new Proxies(plan);
    List<Backend> views = p.readAll();
    Side target = target(p, views);
    if (target == null) {
      throw p.failure(
          "router.backend",
          "nothing to resume onto: on " + p.apis + " " + p.states(views),
          "point the application first (the cutover does: point, then resume)",
          FailureTypes.ROUTER);
    }
    for (int i = 0; i < views.size(); i++) {
      if (!views.get(i).server(p.server(target)).usable()) {
        throw new RouterUnavailableException(
            "haproxy router: "
                + p.label(target)
                + " is open but not usable on "
                + p.apis.get(i).url
                + ": "
                + p.states(views.get(i)));
      }
    }
    return new RouterState(
        target,
        false,
        "haproxy backend "
            + p.backend
            + ": connections flow to "
            + p.label(target)
            + " on "
            + p.apis
            + " (point opened it; nothing held to resume)");
  }

  @Override
  public RouterState state(String cutoverId, CutoverPlan plan) {
    Proxies p = new Proxies(plan);
    List<Backend> views = p.readAll();
    Side target = target(p, views);
    return new RouterState(
        target,
        target == null,
        "haproxy backend "
            + p.backend
            + (target == null
                ? ": no server open, connections refused"
                : ": connections go to " + p.label(target))
            + " ("
            + p.states(views)
            + ")");
  }

  @Override
  public List<PreflightCheck> preflight(String cutoverId, CutoverPlan plan) {
    return HaproxyPreflight.checks(new Proxies(plan));
  }

  /**
   * The side every instance sends connections to, null when no server is open anywhere. Instances
   * that disagree, or a backend with both servers open, are errors that say which.
   */
  static Side target(Proxies p, List<Backend> views) {
    Side agreed = null;
    for (int i = 0; i < views.size(); i++) {
      Backend b = views.get(i);
      refuseBothOpen(p, p.apis.get(i), b);
      Side side =
          b.server(p.server(Side.SOURCE)).open()
              ? Side.SOURCE
              : b.server(p.server(Side.DESTINATION)).open() ? Side.DESTINATION : null;
      if (i > 0 && side != agreed) {
        throw p.failure(
            "router.instances",
            "the HAProxy instances disagree about backend " + p.backend + ": " + p.states(views),
            "make every instance say the same (set server "
                + p.backend
                + "/<server> state ready|maint on the one that differs), after checking which"
                + " database the application wrote to",
            FailureTypes.ROUTER);
      }
      agreed = side;
    }
    return agreed;
  }

  /** Invariant 1: never two writable targets. Nothing is changed; a person decides. */
  static void refuseBothOpen(Proxies p, RuntimeApi api, Backend b) {
    Backend.Server src = b.server(p.server(Side.SOURCE));
    Backend.Server dst = b.server(p.server(Side.DESTINATION));
    if (src.open() && dst.open()) {
      throw p.failure(
          "router.backend",
          "on HAProxy at "
              + api.url
              + " backend "
              + p.backend
              + " sends connections to both servers, "
              + p.label(Side.SOURCE)
              + " "
              + src.word()
              + " and "
              + p.label(Side.DESTINATION)
              + " "
              + dst.word()
              + ": the application may write to two databases",
          "Switchback changes nothing here: find out which database took writes, put the other"
              + " server in maint by hand (set server "
              + p.backend
              + "/<server> state maint), reconcile, then retry",
          FailureTypes.ROUTER);
    }
  }

  private static boolean quiet(Proxies p, Backend b) {
    for (Side side : Side.values()) {
      Backend.Server s = b.server(p.server(side));
      if (s.open() || s.sessions() > 0 || s.queued() > 0) {
        return false;
      }
    }
    return true;
  }

  private static String sessions(Proxies p, List<Backend> views) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < views.size(); i++) {
      Backend b = views.get(i);
      out.append(i == 0 ? "" : "; ").append(p.apis.get(i).url).append(':');
      for (Side side : Side.values()) {
        Backend.Server s = b.server(p.server(side));
        out.append(' ')
            .append(p.label(side))
            .append(' ')
            .append(s.word())
            .append(' ')
            .append(s.sessions())
            .append(" sessions");
      }
    }
    return out.toString();
  }
}
