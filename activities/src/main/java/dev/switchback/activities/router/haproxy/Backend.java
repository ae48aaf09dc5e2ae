package dev.switchback.activities.router.haproxy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one HAProxy says about a backend: each server's administrative and operational state, from
 * {@code show servers state <backend>}, and its current and queued sessions, from {@code show stat
 * <backend id> 4 -1}.
 *
 * @param id the backend's numeric id: {@code show stat} is asked by id because a frontend of the
 *     same name (a common habit) hides the backend from a lookup by name
 */
record Backend(String name, int id, List<Server> servers) {

  /**
   * One server.
   *
   * @param opState {@code srv_op_state}: 0 stopped, 1 starting, 2 running, 3 stopping
   * @param adminState {@code srv_admin_state}, a mask (management guide, "show servers state")
   */
  record Server(String name, int opState, int adminState, long sessions, long queued) {
    // FMAINT (set by the runtime API), IMAINT (inherited from a tracked server), RMAINT (address
    // resolution failed). CMAINT (0x04, "disabled" in the configuration) stays set after "state
    // ready" and does not stop traffic once FMAINT is cleared, so it is not counted.
    private static final int MAINT = 0x01 | 0x02 | 0x20;
    private static final int DRAIN = 0x08 | 0x10;

    boolean maint() {
      return (adminState & MAINT) != 0;
    }

    boolean drain() {
      return !maint() && (adminState & DRAIN) != 0;
    }

    /**
     * Whether HAProxy may send the application's connections here: any server not in maint. A
     * server in drain still takes persistent (stick-table) connections, and one that a health check
     * marks down takes new ones as soon as the check passes again.
     */
    boolean open() {
      return !maint();
    }

    /** Open, not draining, and up as far as HAProxy's health checks know. */
    boolean usable() {
      return open() && !drain() && (opState == 1 || opState == 2);
    }

    String word() {
      if (maint()) {
        return "maint";
      }
      if (drain()) {
        return "drain";
      }
      return usable() ? "ready" : "ready but down (health check)";
    }
  }

  Server server(String server) {
    for (Server s : servers) {
      if (s.name().equals(server)) {
        return s;
      }
    }
    return null;
  }

  List<String> serverNames() {
    return servers.stream().map(Server::name).toList();
  }

  /** Thrown when an answer is not what the runtime API answers to a command it knows. */
  static final class UnexpectedAnswer extends Exception {
    UnexpectedAnswer(String message) {
      super(message);
    }
  }

  /** The answer to {@code show servers state <backend>}: the format version, a header, rows. */
  static Backend fromServersState(String backend, String answer) throws UnexpectedAnswer {
    List<String> lines = lines(answer);
    if (lines.isEmpty() || !lines.get(0).strip().matches("\\d+")) {
      throw new UnexpectedAnswer(lines.isEmpty() ? "(nothing)" : String.join(" ", lines));
    }
    Map<String, Integer> columns = null;
    int id = -1;
    List<Server> servers = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      if (line.startsWith("#")) {
        columns = columns(line.substring(1).strip().split("\\s+"));
        continue;
      }
      if (columns == null) {
        throw new UnexpectedAnswer("no header before " + line);
      }
      String[] f = line.strip().split("\\s+");
      if (!backend.equals(field(f, columns, "be_name"))) {
        continue;
      }
      try {
        id = Integer.parseInt(field(f, columns, "be_id"));
        servers.add(
            new Server(
                field(f, columns, "srv_name"),
                Integer.parseInt(field(f, columns, "srv_op_state")),
                Integer.parseInt(field(f, columns, "srv_admin_state")),
                0,
                0));
      } catch (NumberFormatException e) {
        throw new UnexpectedAnswer("cannot read " + line);
      }
    }
    if (columns == null) {
      throw new UnexpectedAnswer("no header: " + String.join(" ", lines));
    }
    return new Backend(backend, id, List.copyOf(servers));
  }

  /**
   * This backend with the sessions of {@code show stat <id> 4 -1} (CSV, a {@code # pxname,...}
   * header and one row per server).
   */
  Backend withSessions(String answer) throws UnexpectedAnswer {
    List<String> lines = lines(answer);
    if (lines.isEmpty() || !lines.get(0).startsWith("# ")) {
      throw new UnexpectedAnswer(lines.isEmpty() ? "(nothing)" : lines.get(0));
    }
    Map<String, Integer> columns = columns(lines.get(0).substring(2).split(",", -1));
    Map<String, long[]> byServer = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1);
      if (!name.equals(field(f, columns, "pxname"))) {
        continue;
      }
      try {
        byServer.put(
            field(f, columns, "svname"),
            new long[] {number(field(f, columns, "scur")), number(field(f, columns, "qcur"))});
      } catch (NumberFormatException e) {
        throw new UnexpectedAnswer("cannot read " + line);
      }
    }
    List<Server> with = new ArrayList<>();
    for (Server s : servers) {
      long[] n = byServer.get(s.name());
      if (n == null) {
        throw new UnexpectedAnswer("no statistics for server " + s.name() + " of backend " + name);
      }
      with.add(new Server(s.name(), s.opState(), s.adminState(), n[0], n[1]));
    }
    return new Backend(name, id, List.copyOf(with));
  }

  private static long number(String text) {
    return text == null || text.isEmpty() ? 0 : Long.parseLong(text);
  }

  private static List<String> lines(String answer) {
    return answer.lines().filter(l -> !l.isBlank()).toList();
  }

  private static Map<String, Integer> columns(String[] names) {
    Map<String, Integer> out = new HashMap<>();
    for (int i = 0; i < names.length; i++) {
      out.putIfAbsent(names[i].strip(), i);
    }
    return out;
  }

  private static String field(String[] fields, Map<String, Integer> columns, String column)
      throws UnexpectedAnswer {
    Integer i = columns.get(column);
    if (i == null) {
      throw new UnexpectedAnswer("no column " + column);
    }
    return i < fields.length ? fields[i] : null;
  }
}
