package dev.switchback.activities.router.pgbouncer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * A file holding PgBouncer {@code [databases]} entries (pgbouncer.ini or a file it {@code
 * %include}s), read as PgBouncer's ini parser reads it, and rewritten one entry at a time.
 *
 * <p>The text is handled as ISO-8859-1, one char per byte, so that every byte the router does not
 * rewrite (other entries, comments, spacing, line endings, bytes in any encoding) is written back
 * unchanged.
 *
 * <p>A rewrite ({@link #update}) holds a lock ({@code fcntl}, through {@link FileChannel#lock}) on
 * the lock file {@code .<name>.lock} beside the file, re-reads the file, writes a temporary file in
 * the same directory with the file's permissions, owner and group, and renames it over the file, so
 * PgBouncer never reads a half-written file and two workers (or two cutovers) editing one file
 * never lose each other's edits.
 */
public final class DatabasesFile {
  /** One byte per char: every byte survives a read and a write. */
  public static final Charset RAW = StandardCharsets.ISO_8859_1;

  private static final String SECTION = "databases";

  /**
   * Within this JVM a file lock cannot be taken twice ({@link
   * java.nio.channels.OverlappingFileLockException}), and closing any channel on a file drops the
   * process' locks on it: threads of one worker take turns here before they touch the file.
   */
  private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private DatabasesFile() {}

  /** What is wrong with a file or its content; retrying cannot fix it. */
  public static final class Problem extends RuntimeException {
    private final boolean permission;

    Problem(String message) {
      this(message, false);
    }

    Problem(String message, boolean permission) {
      super(message);
      this.permission = permission;
    }

    /** Whether the worker lacks a right (rather than the file an entry). */
    public boolean permission() {
      return permission;
    }
  }

  /**
   * One line that defines a database.
   *
   * @param line its line number, from 1
   * @param connstr the connection string as written (after {@code =}, without trailing space)
   */
  public record Entry(int line, String name, String connstr, Upstream upstream) {}

  /** A parsed {@code name = connstr} line, by char offsets into the text. */
  private record Line(int number, String section, String key, int valueStart, int valueEnd) {}

  /** A {@code key=value} pair of a connection string, by offsets into the connection string. */
  private record Pair(String key, String value, int valueStart, int valueEnd) {}

  /** The file's text, one char per byte. */
  public static String read(Path file) throws IOException {
    Path real = file.toRealPath();
    ReentrantLock lock = IN_PROCESS.computeIfAbsent(real, p -> new ReentrantLock());
    lock.lock();
    try {
      return new String(Files.readAllBytes(real), RAW);
    } finally {
      lock.unlock();
    }
  }

  /** Every entry of {@code text} for {@code database}, in file order (PgBouncer uses the last). */
  public static List<Entry> entries(String text, String database) {
    String name = raw(database);
    List<Entry> out = new ArrayList<>();
    for (Line l : lines(text)) {
      if (l.key.equals(name)) {
        String connstr = text.substring(l.valueStart, l.valueEnd);
        out.add(new Entry(l.number, database, connstr, upstream(database, connstr, l.number)));
      }
    }
    return out;
  }

  /**
   * The one entry for {@code database}.
   *
   * @param where names the file in messages
   * @throws Problem when there is none or more than one
   */
  public static Entry entry(String text, String database, String where) {
    List<Entry> found = entries(text, database);
    if (found.size() == 1) {
      return found.get(0);
    }
    if (found.isEmpty()) {
      String near =
          lines(text).stream()
              .map(Line::key)
              .filter(k -> k.equalsIgnoreCase(raw(database)))
              .findFirst()
              .map(k -> " (there is '" + k + "': names are case-sensitive)")
              .orElse("");
      throw new Problem(
          where
              + " has no [databases] entry '"
              + database
              + "'"
              + near
              + "; add it ("
              + database
              + " = host=... port=... dbname=...) or name the entry the application uses in"
              + " router.database");
    }
    throw new Problem(
        where
            + " defines '"
            + database
            + "' "
            + found.size()
            + " times (lines "
            + String.join(", ", found.stream().map(e -> String.valueOf(e.line())).toList())
            + "); PgBouncer uses the last one: keep one");
  }

  /**
   * {@code text} with the entry for {@code database} sent to {@code target}: only the values of its
   * {@code host}, {@code port} and {@code dbname} keys change (a missing one is added at the end of
   * the line); every other key, line and byte stays as it is.
   *
   * @throws Problem when the entry is missing, defined twice, or its connection string is broken
   */
  public static String point(String text, String database, Upstream target, String where) {
    Entry entry = entry(text, database, where);
    Line line =
        lines(text).stream().filter(l -> l.number == entry.line()).findFirst().orElseThrow();
    String connstr = entry.connstr();
    Map<String, String> wanted = new LinkedHashMap<>();
    wanted.put("host", raw(target.host()));
    wanted.put("port", String.valueOf(target.port()));
    wanted.put("dbname", raw(target.dbname()));
    List<Pair> pairs = pairs(connstr, entry.line());
    StringBuilder value = new StringBuilder(connstr);
    for (int i = pairs.size() - 1; i >= 0; i--) {
      Pair p = pairs.get(i);
      if (wanted.containsKey(p.key)) {
        value.replace(p.valueStart, p.valueEnd, quote(wanted.get(p.key)));
      }
    }
    for (Map.Entry<String, String> w : wanted.entrySet()) {
      if (pairs.stream().noneMatch(p -> p.key.equals(w.getKey()))) {
        value.append(value.length() == 0 ? "" : " ").append(w.getKey()).append('=');
        value.append(quote(w.getValue()));
      }
    }
    return text.substring(0, line.valueStart) + value + text.substring(line.valueEnd);
  }

  /**
   * Applies {@code edit} to the file's current text under the file's lock and, when the text
   * changed, replaces the file atomically (a temporary file in the same directory with the file's
   * permissions, owner and group, renamed over it). A symbolic link is followed: the file it names
   * is rewritten.
   *
   * @return whether the file changed
   * @throws Problem from {@code edit}, or when the new file cannot get the old one's owner or group
   */
  public static boolean update(Path file, UnaryOperator<String> edit) throws IOException {
    Path real = file.toRealPath();
    ReentrantLock inProcess = IN_PROCESS.computeIfAbsent(real, p -> new ReentrantLock());
    inProcess.lock();
    try (FileChannel lockChannel = lockFile(real)) {
      FileLock lock = lockChannel.lock();
      try {
        String text = new String(Files.readAllBytes(real), RAW);
        String next = edit.apply(text);
        if (next.equals(text)) {
          return false;
        }
        replace(real, next.getBytes(RAW));
        return true;
      } finally {
        lock.release();
      }
    } finally {
      inProcess.unlock();
    }
  }

  /**
   * The lock file beside {@code real}, {@code .<name>.lock}, created with the file's permissions.
   * The lock cannot be taken on the file itself: it is replaced by every rewrite, and a writer
   * waiting on the replaced file could not tell it from a new one that got its inode number back.
   */
  private static FileChannel lockFile(Path real) throws IOException {
    Path lock = real.resolveSibling("." + real.getFileName() + ".lock");
    try {
      return FileChannel.open(lock, StandardOpenOption.WRITE);
    } catch (java.nio.file.NoSuchFileException e) {
      try {
        Files.createFile(
            lock, PosixFilePermissions.asFileAttribute(Files.getPosixFilePermissions(real)));
        // So that a worker running as the file's owner or group can take it too.
        PosixFileAttributes file = Files.readAttributes(real, PosixFileAttributes.class);
        PosixFileAttributeView view =
            Files.getFileAttributeView(lock, PosixFileAttributeView.class);
        try {
          view.setGroup(file.group());
          view.setOwner(file.owner());
        } catch (IOException notAllowed) {
          // a worker that may not give files away keeps the lock file as its own
        }
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another writer made it first
      }
      return FileChannel.open(lock, StandardOpenOption.WRITE);
    }
  }

  private static void replace(Path real, byte[] bytes) throws IOException {
    PosixFileAttributes old = Files.readAttributes(real, PosixFileAttributes.class);
    Path temp =
        Files.createTempFile(real.getParent(), "." + real.getFileName() + ".", ".switchback");
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(true);
      }
      Files.setPosixFilePermissions(temp, old.permissions());
      PosixFileAttributeView view = Files.getFileAttributeView(temp, PosixFileAttributeView.class);
      PosixFileAttributes now = view.readAttributes();
      try {
        if (!now.group().equals(old.group())) {
          view.setGroup(old.group());
        }
        if (!now.owner().equals(old.owner())) {
          view.setOwner(old.owner());
        }
      } catch (IOException e) {
        throw new Problem(
            "cannot give the rewritten "
                + real
                + " its owner "
                + old.owner().getName()
                + " and group "
                + old.group().getName()
                + " ("
                + e.getMessage()
                + "), so PgBouncer might not read it; the file is left as it was. Run the worker"
                + " as "
                + old.owner().getName()
                + " (the user the file belongs to), or give the file to the worker's user",
            true);
      }
      Files.move(temp, real, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** The entry lines of the {@code [databases]} section (or before any section: an include). */
  private static List<Line> lines(String text) {
    List<Line> out = new ArrayList<>();
    String section = null;
    int number = 0;
    int pos = 0;
    while (pos < text.length()) {
      number++;
      int nl = text.indexOf('\n', pos);
      int end = nl < 0 ? text.length() : nl;
      int p = pos;
      while (p < end && Character.isWhitespace(text.charAt(p))) {
        p++;
      }
      pos = end + 1;
      if (p == end || text.startsWith("%include", p)) {
        continue;
      }
      char c = text.charAt(p);
      if (c == '#' || c == ';') {
        continue;
      }
      if (c == '[') {
        int close = text.indexOf(']', p);
        section = close > p && close < end ? text.substring(p + 1, close) : section;
        continue;
      }
      String key;
      if (c == '\'') {
        int close = text.indexOf('\'', p + 1);
        if (close < 0 || close >= end) {
          continue;
        }
        key = text.substring(p + 1, close);
        p = close + 1;
      } else {
        int k = p;
        while (k < end && keyChar(text.charAt(k))) {
          k++;
        }
        key = text.substring(p, k);
        p = k;
      }
      while (p < end && (text.charAt(p) == ' ' || text.charAt(p) == '\t')) {
        p++;
      }
      if (key.isEmpty() || p >= end || text.charAt(p) != '=') {
        continue; // PgBouncer refuses such a line; not an entry
      }
      p++;
      while (p < end && (text.charAt(p) == ' ' || text.charAt(p) == '\t')) {
        p++;
      }
      int valueEnd = end;
      while (valueEnd > p && Character.isWhitespace(text.charAt(valueEnd - 1))) {
        valueEnd--;
      }
      if (section == null || section.equals(SECTION)) {
        out.add(new Line(number, section, key, p, valueEnd));
      }
    }
    return out;
  }

  /** The pairs of a connection string, as PgBouncer's {@code cstr_get_pair} reads them. */
  private static List<Pair> pairs(String connstr, int line) {
    List<Pair> out = new ArrayList<>();
    int p = 0;
    int n = connstr.length();
    while (true) {
      while (p < n && Character.isWhitespace(connstr.charAt(p))) {
        p++;
      }
      if (p >= n) {
        return out;
      }
      int keyStart = p;
      while (p < n && connstr.charAt(p) != '=' && connstr.charAt(p) != ' ') {
        p++;
      }
      String key = connstr.substring(keyStart, p);
      while (p < n && Character.isWhitespace(connstr.charAt(p))) {
        p++;
      }
      if (key.isEmpty() || p >= n || connstr.charAt(p) != '=') {
        throw broken(connstr, line, "expected key=value at '" + connstr.substring(keyStart) + "'");
      }
      p++;
      while (p < n && Character.isWhitespace(connstr.charAt(p))) {
        p++;
      }
      int valueStart = p;
      StringBuilder value = new StringBuilder();
      if (p < n && connstr.charAt(p) == '\'') {
        p++;
        while (true) {
          if (p >= n) {
            throw broken(connstr, line, "a quote is not closed");
          }
          char c = connstr.charAt(p);
          if (c == '\'' && p + 1 < n && connstr.charAt(p + 1) == '\'') {
            value.append('\'');
            p += 2;
          } else if (c == '\'') {
            p++;
            break;
          } else {
            value.append(c);
            p++;
          }
        }
      } else {
        while (p < n && connstr.charAt(p) != ' ') {
          value.append(connstr.charAt(p++));
        }
      }
      if (value.length() == 0) {
        throw broken(connstr, line, "'" + key + "' has an empty value");
      }
      out.add(new Pair(key, value.toString(), valueStart, p));
    }
  }

  /** A char of an unquoted ini key: ASCII letters and digits, {@code _ . - *}. */
  private static boolean keyChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "_.-*".indexOf(c) >= 0;
  }

  private static Problem broken(String connstr, int line, String what) {
    return new Problem(
        "the connection string on line " + line + " (" + connstr + ") is broken: " + what);
  }

  private static Upstream upstream(String name, String connstr, int line) {
    String host = null;
    int port = Upstream.DEFAULT_PORT;
    String dbname = name;
    for (Pair p : pairs(connstr, line)) {
      switch (p.key) {
        case "host" -> host = text(p.value);
        case "port" -> {
          try {
            port = Integer.parseInt(p.value);
          } catch (NumberFormatException e) {
            throw broken(connstr, line, "port '" + p.value + "' is not a number");
          }
        }
        case "dbname" -> dbname = text(p.value);
        default -> {
          // user, pool_size, ...: kept as they are
        }
      }
    }
    return new Upstream(host, port, dbname);
  }

  private static String quote(String value) {
    boolean plain =
        !value.isEmpty() && value.chars().noneMatch(c -> c == '\'' || Character.isWhitespace(c));
    return plain ? value : "'" + value.replace("'", "''") + "'";
  }

  /** A Java string as the file holds it: its UTF-8 bytes, one char each. */
  static String raw(String s) {
    return s == null ? null : new String(s.getBytes(StandardCharsets.UTF_8), RAW);
  }

  /** The Java string of a value the file holds as UTF-8 bytes. */
  private static String text(String raw) {
    return new String(raw.getBytes(RAW), StandardCharsets.UTF_8);
  }
}
