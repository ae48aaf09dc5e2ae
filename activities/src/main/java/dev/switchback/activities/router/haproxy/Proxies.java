package dev.switchback.activities.router.haproxy;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.CappedBody;
import dev.switchback.messages.values.Side;
import dev.switchback.plan.CutoverPlan;
import dev.switchback.plan.Durations;
import dev.switchback.plan.PlanProblem;
import dev.switchback.plan.PlanValidator;
import dev.switchback.plan.RouterInstance;
import dev.switchback.plan.RouterSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;

/**
 * One router call's view of the plan's HAProxy instances: the backend, the two servers, and the
 * commands this router sends, each answer read the way the runtime API gives it (an empty answer is
 * success; {@code Permission denied}, {@code No such backend.}, {@code No such server.} are the
 * failures it names). The call's deadline is {@code router.timeout} from its start.
 */
final class Proxies {
  static final Duration POLL = Duration.ofMillis(50);

  final String backend;
  final List<RuntimeApi> apis;
  private final RouterSpec spec;
  private final Duration timeout;
  private final long deadline;

  /** Checks the plan's router fields before anything is sent (bad input: no side effect). */
  Proxies(CutoverPlan plan) {
    List<PlanProblem> problems =
        PlanValidator.problems(plan.withDefaults()).stream()
            .filter(p -> p.field().startsWith("router"))
            .toList();
    if (plan.router() == null || !RouterSpec.HAPROXY.equals(plan.router().type())) {
      problems = List.of(new PlanProblem("router.type", "is not haproxy", "use router haproxy"));
    }
    if (!problems.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          problems.stream().map(PlanProblem::toString).collect(Collectors.joining("; ")),
          FailureTypes.INVALID_PLAN);
    }
    this.spec = plan.router().withDefaults();
    this.backend = spec.backend();
    this.timeout = Durations.parse(spec.timeout());
    this.deadline = System.nanoTime() + timeout.toNanos();
    List<RuntimeApi> list = new ArrayList<>();
    List<RouterInstance> instances = spec.instances();
    for (int i = 0; i < instances.size(); i++) {
      list.add(new RuntimeApi("router.instances[" + i + "].url", instances.get(i).url()));
    }
    this.apis = List.copyOf(list);
  }

  /** {@code after 10s (router.timeout)}. */
  String timeoutText() {
    return "after " + spec.timeout() + " (router.timeout)";
  }

  /**
   * Every instance's runtime API is at level admin, asked without changing anything, so that a
   * read-only socket on the second instance does not leave the first one half changed.
   */
  void requireAdmin() {
    for (RuntimeApi api : apis) {
      String level = level(api);
      if (!"admin".equals(level)) {
        throw failure(
            api.field,
            "HAProxy at "
                + api.url
                + " answers level '"
                + CappedBody.excerpt(level)
                + "' to show cli level; set server and shutdown sessions need level admin",
            ADMIN_FIX,
            FailureTypes.PERMISSION);
      }
    }
  }

  static final String ADMIN_FIX =
      "declare the socket with level admin in haproxy.cfg's global section (stats socket"
          + " /run/haproxy/admin.sock mode 600 level admin) and reload HAProxy";

  String server(Side side) {
    return side == Side.SOURCE ? spec.sourceServer() : spec.destinationServer();
  }

  static String serverField(Side side) {
    return side == Side.SOURCE ? "router.sourceServer" : "router.destinationServer";
  }

  /** {@code dst (destination)}: the server as HAProxy names it, and the side it reaches. */
  String label(Side side) {
    return server(side) + " (" + side.word() + ")";
  }

  /** Each instance's view of the backend, without sessions. */
  List<Backend> readAll() {
    return apis.stream().map(api -> read(api, false)).toList();
  }

  /** Each instance's view of the backend with its servers' sessions. */
  List<Backend> readAllWithSessions() {
    return apis.stream().map(api -> read(api, true)).toList();
  }

  /**
   * The backend on {@code api}; it must hold both servers. Unknown backend and server names fail as
   * plan errors naming the field, since retrying cannot make them appear.
   */
  Backend read(RuntimeApi api, boolean withSessions) {
    String command = "show servers state " + backend;
    String answer = call(api, command);
    Backend b;
    try {
      b = Backend.fromServersState(backend, answer);
    } catch (Backend.UnexpectedAnswer e) {
      refused(api, command, answer);
      if (answer.strip().startsWith("Can't find backend")) {
        throw noBackend(api);
      }
      throw unexpected(api, command, e.getMessage());
    }
    for (Side side : Side.values()) {
      if (b.server(server(side)) == null) {
        throw noServer(api, side, b.serverNames());
      }
    }
    if (!withSessions) {
      return b;
    }
    command = "show stat " + b.id() + " 4 -1";
    answer = call(api, command);
    try {
      return b.withSessions(answer);
    } catch (Backend.UnexpectedAnswer e) {
      refused(api, command, answer);
      throw unexpected(api, command, e.getMessage());
    }
  }

  /** {@code set server <backend>/<server> state <state>}. */
  void setState(RuntimeApi api, Side side, String state) {
    change(api, side, "set server " + backend + "/" + server(side) + " state " + state);
  }

  /** {@code shutdown sessions server <backend>/<server>}: ends the server's open sessions. */
  void shutdownSessions(RuntimeApi api, Side side) {
    change(api, side, "shutdown sessions server " + backend + "/" + server(side));
  }

  /** A command that answers nothing when it worked. */
  private void change(RuntimeApi api, Side side, String command) {
    String answer = call(api, command);
    if (answer.isBlank()) {
      return;
    }
    refused(api, command, answer);
    if (answer.strip().startsWith("No such backend")) {
      throw noBackend(api);
    }
    if (answer.strip().startsWith("No such server")) {
      throw noServer(api, side, read(api, false).serverNames());
    }
    throw unexpected(api, command, answer);
  }

  /** The level of the runtime API's sessions: admin, operator or user. */
  String level(RuntimeApi api) {
    return call(api, "show cli level").strip();
  }

  /** One command, bounded by what is left of the call's deadline (at least a second). */
  String call(RuntimeApi api, String command) {
    long left = deadline - System.nanoTime();
    Duration io = Duration.ofNanos(Math.max(left, Duration.ofSeconds(1).toNanos()));
    return api.call(command, io.compareTo(timeout) > 0 ? timeout : io);
  }

  /**
   * Polls every instance until {@code done} holds for all of them, and returns what they said;
   * {@code nudge} runs between polls (re-sending a command is harmless: all of them are
   * idempotent). At the deadline, returns the last views with {@code done} not holding.
   */
  List<Backend> await(
      boolean withSessions,
      BiPredicate<RuntimeApi, Backend> done,
      BiConsumer<RuntimeApi, Backend> nudge) {
    while (true) {
      List<Backend> views = withSessions ? readAllWithSessions() : readAll();
      boolean all = true;
      for (int i = 0; i < apis.size(); i++) {
        all &= done.test(apis.get(i), views.get(i));
      }
      if (all || System.nanoTime() - deadline >= 0) {
        return views;
      }
      for (int i = 0; i < apis.size(); i++) {
        if (!done.test(apis.get(i), views.get(i))) {
          nudge.accept(apis.get(i), views.get(i));
        }
      }
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RouterUnavailableException("haproxy router: interrupted while waiting", e);
      }
    }
  }

  /** The instance's servers in a few words: {@code src (source) maint, dst (destination) ready}. */
  String states(Backend b) {
    return label(Side.SOURCE)
        + " "
        + b.server(server(Side.SOURCE)).word()
        + ", "
        + label(Side.DESTINATION)
        + " "
        + b.server(server(Side.DESTINATION)).word();
  }

  /** Each instance's servers: {@code tcp://h:9999: src (source) maint, ...; unix:///...: ...}. */
  String states(List<Backend> views) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < views.size(); i++) {
      out.add(apis.get(i).url + ": " + states(views.get(i)));
    }
    return String.join("; ", out);
  }

  ApplicationFailure failure(String field, String problem, String fix, String type) {
    return ApplicationFailure.newNonRetryableFailure(
        new PlanProblem(field, problem, fix).toString(), type);
  }

  /** Permission denied: the socket is not at level admin. */
  private void refused(RuntimeApi api, String command, String answer) {
    if (answer.strip().startsWith("Permission denied")) {
      throw failure(
          api.field,
          "HAProxy at "
              + api.url
              + " answered 'Permission denied' to '"
              + command
              + "': its stats socket is not at level admin",
          ADMIN_FIX,
          FailureTypes.PERMISSION);
    }
  }

  private ApplicationFailure noBackend(RuntimeApi api) {
    String known;
    try {
      known = call(api, "show backend").lines().filter(l -> !l.startsWith("#")).toList().toString();
    } catch (RuntimeException e) {
      known = "(could not list them)";
    }
    return failure(
        "router.backend",
        "HAProxy at " + api.url + " (" + api.field + ") has no backend '" + backend + "'",
        "name the backend that holds both servers, as haproxy.cfg spells it, on every instance;"
            + " its backends: "
            + CappedBody.excerpt(known),
        FailureTypes.INVALID_PLAN);
  }

  private ApplicationFailure noServer(RuntimeApi api, Side side, List<String> servers) {
    return failure(
        serverField(side),
        "backend '"
            + backend
            + "' on HAProxy at "
            + api.url
            + " has no server '"
            + server(side)
            + "'",
        "name the backend's server that reaches the "
            + side.word()
            + " (its servers: "
            + String.join(", ", servers)
            + ")",
        FailureTypes.INVALID_PLAN);
  }

  private ApplicationFailure unexpected(RuntimeApi api, String command, String answer) {
    return failure(
        api.field,
        "HAProxy at "
            + api.url
            + " answered '"
            + CappedBody.excerpt(answer)
            + "' to '"
            + command
            + "'",
        "check that this address is HAProxy's runtime API (stats socket), HAProxy 2.x",
        FailureTypes.ROUTER);
  }
}
