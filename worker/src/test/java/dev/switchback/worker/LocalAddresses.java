package dev.switchback.worker;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;

/** This host's addresses, for tests that prove what a server is not reachable on. */
final class LocalAddresses {
  private LocalAddresses() {}

  /** An IPv4 address of an interface that is up and not loopback, or null when there is none. */
  static InetAddress nonLoopback() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a;
          }
        }
      }
    }
    return null;
  }
}
