package io.editstream.processor.image;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether an image server's address may be contacted: only public unicast addresses, unless
 * the policy allows non-public ones. IPv6 addresses that embed an IPv4 address (IPv4-mapped,
 * IPv4-compatible, 6to4, Teredo, NAT64 64:ff9b::/96) are judged by that IPv4 address.
 */
final class AddressPolicy {

  private static final List<Blocked> BLOCKED_V4 =
      List.of(
          new Blocked(Cidr.parse("0.0.0.0/8"), "is a 'this network' address"),
          new Blocked(Cidr.parse("10.0.0.0/8"), "is private (10.0.0.0/8)"),
          new Blocked(Cidr.parse("100.64.0.0/10"), "is carrier-grade NAT space (100.64.0.0/10)"),
          new Blocked(Cidr.parse("127.0.0.0/8"), "is loopback"),
          new Blocked(
              Cidr.parse("169.254.0.0/16"),
              "is link-local (169.254.0.0/16, where cloud metadata services live)"),
          new Blocked(Cidr.parse("172.16.0.0/12"), "is private (172.16.0.0/12)"),
          new Blocked(Cidr.parse("192.0.0.0/24"), "is reserved (192.0.0.0/24)"),
          new Blocked(Cidr.parse("192.168.0.0/16"), "is private (192.168.0.0/16)"),
          new Blocked(Cidr.parse("198.18.0.0/15"), "is reserved for benchmarking (198.18.0.0/15)"),
          new Blocked(Cidr.parse("224.0.0.0/4"), "is multicast"),
          new Blocked(Cidr.parse("240.0.0.0/4"), "is reserved (240.0.0.0/4)"));

  private static final List<Blocked> BLOCKED_V6 =
      List.of(
          new Blocked(Cidr.parse("::/128"), "is the unspecified address"),
          new Blocked(Cidr.parse("::1/128"), "is loopback"),
          new Blocked(Cidr.parse("fc00::/7"), "is a unique local address (fc00::/7)"),
          new Blocked(Cidr.parse("fe80::/10"), "is link-local (fe80::/10)"),
          new Blocked(Cidr.parse("fec0::/10"), "is site-local (fec0::/10)"),
          new Blocked(Cidr.parse("ff00::/8"), "is multicast"));

  private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");

  private final boolean allowPrivate;
  private final List<Cidr> allowedRanges;

  AddressPolicy(FetchPolicy policy) {
    this.allowPrivate = policy.allowPrivateAddresses();
    this.allowedRanges = policy.allowedAddressRanges().stream().map(Cidr::parse).toList();
  }

  /** Why {@code address} may not be contacted; empty when it may. */
  Optional<String> whyBlocked(InetAddress address) {
    if (allowPrivate || allowedRanges.stream().anyMatch(r -> r.contains(address))) {
      return Optional.empty();
    }
    return reasonNotPublic(address);
  }

  static Optional<String> reasonNotPublic(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      Optional<Inet4Address> embedded = embeddedIpv4(v6);
      if (embedded.isPresent()) {
        return reasonNotPublic(embedded.get()).map(r -> "embeds an IPv4 address that " + r);
      }
      return BLOCKED_V6.stream()
          .filter(b -> b.range.contains(address))
          .map(b -> b.reason)
          .findFirst();
    }
    return BLOCKED_V4.stream()
        .filter(b -> b.range.contains(address))
        .map(b -> b.reason)
        .findFirst();
  }

  private static Optional<Inet4Address> embeddedIpv4(Inet6Address v6) {
    byte[] b = v6.getAddress();
    boolean firstTenZero = true;
    for (int i = 0; i < 10; i++) {
      firstTenZero &= b[i] == 0;
    }
    // ::ffff:a.b.c.d (mapped) — Java usually hands these out as Inet4Address already.
    if (firstTenZero && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
      return Optional.of(v4(b, 12));
    }
    if (NAT64.contains(v6)) {
      return Optional.of(v4(b, 12));
    }
    // IPv4-compatible (::a.b.c.d), 6to4 (2002::/16) and Teredo (2001::/32).
    if (InetAddresses.hasEmbeddedIPv4ClientAddress(v6)) {
      return Optional.of(InetAddresses.getEmbeddedIPv4ClientAddress(v6));
    }
    return Optional.empty();
  }

  private static Inet4Address v4(byte[] b, int offset) {
    try {
      return (Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(b, offset, offset + 4));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always an IPv4 address", e);
    }
  }

  private record Blocked(Cidr range, String reason) {}

  /** An address range such as {@code 10.0.0.0/8} or {@code fc00::/7}. */
  record Cidr(byte[] network, int prefixLength) {

    static Cidr parse(String text) {
      if (text == null) {
        throw new IllegalArgumentException("address range must not be null");
      }
      String s = text.strip();
      int slash = s.indexOf('/');
      String addressPart = slash < 0 ? s : s.substring(0, slash);
      if (!InetAddresses.isInetAddress(addressPart)) {
        throw new IllegalArgumentException("'" + text + "' is not a CIDR range such as 10.0.0.0/8");
      }
      byte[] network = InetAddresses.forString(addressPart).getAddress();
      int max = network.length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? max : Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' has an invalid prefix length");
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException(
            "'" + text + "' has prefix length " + prefix + ", expected 0.." + max);
      }
      return new Cidr(network, prefix);
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      int full = prefixLength / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixLength % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (a[full] & mask) == (network[full] & mask);
    }
  }
}
