package io.editstream.processor.image;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Resolves a host name to all of its addresses; a seam so tests need no DNS. The {@link
 * ImageLoader} asks it once for each connection it opens, checks every address it returns, and
 * connects only to those addresses.
 */
@FunctionalInterface
public interface HostResolver {

  /** The system resolver, {@link InetAddress#getAllByName(String)}. */
  HostResolver SYSTEM = InetAddress::getAllByName;

  InetAddress[] resolve(String host) throws UnknownHostException;
}
