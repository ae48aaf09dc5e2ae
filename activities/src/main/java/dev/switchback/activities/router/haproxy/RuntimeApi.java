package dev.switchback.activities.router.haproxy;

import dev.switchback.activities.FailureTypes;
import dev.switchback.activities.router.RouterUnavailableException;
import dev.switchback.activities.support.CappedBody;
import io.temporal.failure.ApplicationFailure;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One HAProxy's runtime API (its {@code stats socket}), over TCP or a Unix socket, one command per
 * connection in the API's non-interactive mode: HAProxy reads one line, answers and closes. So the
 * answer is everything up to the end of the stream, and nothing a command changes about the session
 * (prompt mode, a lowered level) carries over to the next command.
 */
final class RuntimeApi {
  /** Far more than a backend's server list or stats need; a bigger answer is not HAProxy's. */
  static final int MAX_ANSWER = 4 << 20;

  /** The plan field that names this API, {@code router.instances[i].url}. */
  final String field;

  final String url;
  private final URI uri;
  private final boolean unix;

  RuntimeApi(String field, String url) {
    this.field = field;
    this.url = url;
    this.uri = URI.create(url);
    this.unix = "unix".equals(uri.getScheme().toLowerCase(Locale.ROOT));
  }

  boolean unix() {
    return unix;
  }

  /** The host of a {@code tcp://} address; null for a Unix socket. */
  String host() {
    return unix ? null : uri.getHost();
  }

  /**
   * Sends {@code command} and returns HAProxy's whole answer. An address that cannot be reached, or
   * that does not answer within {@code timeout}, is a {@link RouterUnavailableException}: HAProxy
   * may be reloading, and every command this router sends is idempotent.
   */
  String call(String command, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel channel = open();
        Selector selector = Selector.open()) {
      channel.configureBlocking(false);
      SelectionKey key = channel.register(selector, 0);
      if (!channel.connect(address())) {
        while (!channel.finishConnect()) {
          await(selector, key, SelectionKey.OP_CONNECT, deadline);
        }
      }
      ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
      while (out.hasRemaining()) {
        if (channel.write(out) == 0) {
          await(selector, key, SelectionKey.OP_WRITE, deadline);
        }
      }
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(16 * 1024);
      while (true) {
        int n = channel.read(in);
        if (n < 0) {
          return answer.toString(StandardCharsets.UTF_8);
        }
        if (n == 0) {
          await(selector, key, SelectionKey.OP_READ, deadline);
          continue;
        }
        answer.write(in.array(), 0, in.position());
        in.clear();
        if (answer.size() > MAX_ANSWER) {
          throw ApplicationFailure.newNonRetryableFailure(
              field
                  + " "
                  + url
                  + ": '"
                  + command
                  + "' answered more than "
                  + MAX_ANSWER
                  + " bytes; is this HAProxy's runtime API (stats socket)?",
              FailureTypes.ROUTER);
        }
      }
    } catch (IOException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw new RouterUnavailableException(
            field + " " + url + ": '" + command + "' interrupted", e);
      }
      throw new RouterUnavailableException(
          field
              + " "
              + url
              + ": '"
              + command
              + "' failed: "
              + CappedBody.excerpt(e.toString())
              + " (is HAProxy running with this stats socket?)",
          e);
    }
  }

  private SocketChannel open() throws IOException {
    return unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
  }

  private SocketAddress address() throws IOException {
    if (unix) {
      return UnixDomainSocketAddress.of(uri.getPath());
    }
    InetSocketAddress address = new InetSocketAddress(uri.getHost(), uri.getPort());
    if (address.isUnresolved()) {
      throw new IOException("cannot resolve host " + uri.getHost());
    }
    return address;
  }

  /** Waits for {@code op} on the channel, never past {@code deadline}. */
  private static void await(Selector selector, SelectionKey key, int op, long deadline)
      throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("no answer in time");
    }
    key.interestOps(op);
    selector.select(Math.max(1, Duration.ofNanos(left).toMillis()));
    selector.selectedKeys().clear();
    if (Thread.currentThread().isInterrupted()) {
      throw new IOException("interrupted");
    }
  }

  @Override
  public String toString() {
    return url;
  }
}
