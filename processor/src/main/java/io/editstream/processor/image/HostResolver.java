package io.editstream.processor.image;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Resolves a host name to all of its addresses; a seam so tests need no DNS. */
@FunctionalInterface
public interface HostResolver {

  /** The system resolver, {@link InetAddress#getAllByName(String)}. */
  HostResolver SYSTEM = InetAddress::getAllByName;

  InetAddress[] resolve(String host) throws UnknownHostException;
}
