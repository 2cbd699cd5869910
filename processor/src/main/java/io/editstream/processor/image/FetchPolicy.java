package io.editstream.processor.image;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where input images may be read from by URI, and how long that may take.
 *
 * <p>Safe by default: {@link #defaults()} allows no {@code file:} root and no HTTP host, so every
 * URI input is rejected with {@code URI_NOT_ALLOWED} until an operator opts in.
 *
 * @param fileRoot directory below which {@code file:} URIs may point (after resolving {@code ..}
 *     and symbolic links); {@code null} disables {@code file:}
 * @param allowedHosts host names that {@code http(s):} URIs (and each redirect) may name: exact
 *     names ({@code images.example.com}), suffix patterns ({@code *.example.com}, which matches
 *     sub-domains but not {@code example.com} itself), IP literals, or {@code *} for any host.
 *     Empty disables {@code http(s):}. Matching ignores case and a trailing dot.
 * @param allowPrivateAddresses when true, hosts may resolve to loopback, private, link-local and
 *     other non-public addresses (never do this in production: it opens SSRF to cloud metadata)
 * @param allowedAddressRanges CIDR ranges (e.g. {@code 127.0.0.1/32}) that are allowed even though
 *     they are not public; narrower than {@code allowPrivateAddresses}, meant for tests and for an
 *     internal image server
 * @param connectTimeout TCP/TLS connect timeout for each hop (default 10 s)
 * @param totalTimeout deadline for the whole fetch, all redirects and the body included (default 30
 *     s)
 * @param maxRedirects most redirects followed (default 3); each target is checked again
 * @param allowedBuckets buckets that {@code s3://bucket/key} URIs may name (read with the
 *     processor's own object-store credentials); empty disables {@code s3:}
 */
public record FetchPolicy(
    Path fileRoot,
    Set<String> allowedHosts,
    boolean allowPrivateAddresses,
    List<String> allowedAddressRanges,
    Duration connectTimeout,
    Duration totalTimeout,
    int maxRedirects,
    Set<String> allowedBuckets) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_TOTAL_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_REDIRECTS = 3;

  public FetchPolicy {
    allowedHosts = normalizeHosts(allowedHosts);
    allowedBuckets = Set.copyOf(Objects.requireNonNullElse(allowedBuckets, Set.of()));
    allowedAddressRanges = List.copyOf(Objects.requireNonNullElse(allowedAddressRanges, List.of()));
    for (String range : allowedAddressRanges) {
      AddressPolicy.Cidr.parse(range); // fail fast on a bad setting
    }
    requirePositive(connectTimeout, "connectTimeout");
    requirePositive(totalTimeout, "totalTimeout");
    if (maxRedirects < 0) {
      throw new IllegalArgumentException("maxRedirects must be >= 0, was " + maxRedirects);
    }
  }

  /** No file root, no HTTP hosts, public addresses only, 10 s / 30 s, 3 redirects. */
  public static FetchPolicy defaults() {
    return new FetchPolicy(
        null,
        Set.of(),
        false,
        List.of(),
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_TOTAL_TIMEOUT,
        DEFAULT_MAX_REDIRECTS,
        Set.of());
  }

  public FetchPolicy withFileRoot(Path root) {
    return new FetchPolicy(
        root,
        allowedHosts,
        allowPrivateAddresses,
        allowedAddressRanges,
        connectTimeout,
        totalTimeout,
        maxRedirects,
        allowedBuckets);
  }

  public FetchPolicy withAllowedHosts(Set<String> hosts) {
    return new FetchPolicy(
        fileRoot,
        hosts,
        allowPrivateAddresses,
        allowedAddressRanges,
        connectTimeout,
        totalTimeout,
        maxRedirects,
        allowedBuckets);
  }

  public FetchPolicy withAllowPrivateAddresses(boolean allow) {
    return new FetchPolicy(
        fileRoot,
        allowedHosts,
        allow,
        allowedAddressRanges,
        connectTimeout,
        totalTimeout,
        maxRedirects,
        allowedBuckets);
  }

  public FetchPolicy withAllowedAddressRanges(List<String> ranges) {
    return new FetchPolicy(
        fileRoot,
        allowedHosts,
        allowPrivateAddresses,
        ranges,
        connectTimeout,
        totalTimeout,
        maxRedirects,
        allowedBuckets);
  }

  public FetchPolicy withTimeouts(Duration connect, Duration total) {
    return new FetchPolicy(
        fileRoot,
        allowedHosts,
        allowPrivateAddresses,
        allowedAddressRanges,
        connect,
        total,
        maxRedirects,
        allowedBuckets);
  }

  public FetchPolicy withMaxRedirects(int redirects) {
    return new FetchPolicy(
        fileRoot,
        allowedHosts,
        allowPrivateAddresses,
        allowedAddressRanges,
        connectTimeout,
        totalTimeout,
        redirects,
        allowedBuckets);
  }

  public FetchPolicy withAllowedBuckets(Set<String> buckets) {
    return new FetchPolicy(
        fileRoot,
        allowedHosts,
        allowPrivateAddresses,
        allowedAddressRanges,
        connectTimeout,
        totalTimeout,
        maxRedirects,
        buckets);
  }

  /**
   * The URI schemes this policy can serve: {@code file} with a root, {@code http} and {@code https}
   * with at least one allowed host, {@code s3} with at least one allowed bucket. Feed it to the
   * validator so forbidden schemes fail early.
   */
  public Set<String> enabledSchemes() {
    Set<String> schemes = new LinkedHashSet<>();
    if (fileRoot != null) {
      schemes.add("file");
    }
    if (!allowedHosts.isEmpty()) {
      schemes.add("http");
      schemes.add("https");
    }
    if (!allowedBuckets.isEmpty()) {
      schemes.add("s3");
    }
    return Set.copyOf(schemes);
  }

  /** Whether {@code host} (as in a URI, IPv6 literals with or without brackets) is allowed. */
  public boolean isHostAllowed(String host) {
    if (host == null || host.isEmpty()) {
      return false;
    }
    String h = normalizeHost(host);
    for (String pattern : allowedHosts) {
      if (pattern.equals("*") || pattern.equals(h)) {
        return true;
      }
      if (pattern.startsWith("*.") && h.endsWith(pattern.substring(1))) {
        return true;
      }
    }
    return false;
  }

  static String normalizeHost(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }

  private static Set<String> normalizeHosts(Set<String> hosts) {
    Set<String> out = new LinkedHashSet<>();
    for (String host : Objects.requireNonNullElse(hosts, Set.<String>of())) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("allowedHosts must not contain a blank entry");
      }
      String h = normalizeHost(host);
      if (h.contains("*") && !h.equals("*") && !(h.startsWith("*.") && h.indexOf('*', 1) < 0)) {
        throw new IllegalArgumentException(
            "allowedHosts entry '" + host + "' is not a host, '*.suffix' or '*'");
      }
      out.add(h);
    }
    return Set.copyOf(out);
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be a positive duration, was " + d);
    }
  }
}
