package dev.switchback.worker;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's in-process test server bound to a TCP port, so that trying Switchback needs no
 * cluster: the {@code switchback} CLI, the {@code temporal} CLI and other SDKs reach it like a real
 * server. It keeps everything in memory (history is gone when it stops) and has one namespace,
 * {@code default}.
 *
 * <p>{@code TestServer.createPortBoundServer} listens on every interface; an unauthenticated
 * Temporal endpoint should not be reachable from the network by default, so this builds the same
 * server (the test server's own services and health checks) on a chosen bind address, loopback
 * unless told otherwise. Time skipping is locked so timers (gate timeouts, soak) run in real time,
 * as on a real server.
 */
public final class EmbeddedServer implements AutoCloseable {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 7233;
  private static final Logger log = LoggerFactory.getLogger(EmbeddedServer.class);

  private final TestServicesStarter services;
  private final Server server;
  private final String host;
  private final int port;

  private EmbeddedServer(TestServicesStarter services, Server server, String host) {
    this.services = services;
    this.server = server;
    this.host = host;
    this.port = server.getPort();
  }

  /**
   * Starts the server on {@code host:port} ({@code port} 0 picks a free port).
   *
   * @throws IllegalStateException naming the port and the fix when it is taken
   */
  public static EmbeddedServer start(String host, int port) {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    try {
      var builder =
          NettyServerBuilder.forAddress(
              new InetSocketAddress(host, port), InsecureServerCredentials.create());
      GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
      Server server = builder.build().start();
      EmbeddedServer embedded = new EmbeddedServer(services, server, host);
      log.info("embedded Temporal test server listening on {}", embedded.address());
      return embedded;
    } catch (IOException e) {
      services.close();
      throw new IllegalStateException(
          "cannot listen on "
              + host
              + ":"
              + port
              + " for the embedded Temporal server ("
              + e.getMessage()
              + "): stop what uses the port or choose another with --port",
          e);
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
  }

  public int port() {
    return port;
  }

  /** The bind address, {@code host:port}. */
  public String address() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  /** Where a client on this machine connects: loopback when bound to every interface. */
  public String clientAddress() {
    boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    return wildcard ? "127.0.0.1:" + port() : address();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    services.close();
    log.info("embedded Temporal test server on {} stopped", address());
  }
}
