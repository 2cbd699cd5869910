package io.editstream.registry;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;

/**
 * How to reach a schema registry: base URLs (tried in order when one cannot be reached), optional
 * credentials, timeouts. Parsed from Confluent's client setting names so a configuration written
 * for Confluent's serde works unchanged.
 *
 * <p>{@link #toString()} never shows credentials.
 *
 * @param urls base URLs without user info, e.g. {@code http://127.0.0.1:8081} or Apicurio's {@code
 *     http://host:8080/apis/ccompat/v7}
 * @param authorization the {@code Authorization} header value, if any
 * @param connectTimeout TCP connect timeout
 * @param requestTimeout time allowed for a whole request
 */
public record RegistryConfig(
    List<URI> urls,
    Optional<String> authorization,
    Duration connectTimeout,
    Duration requestTimeout) {

  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";
  public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";
  public static final String HTTP_CONNECT_TIMEOUT_MS = "http.connect.timeout.ms";
  public static final String HTTP_READ_TIMEOUT_MS = "http.read.timeout.ms";

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  public RegistryConfig {
    urls = List.copyOf(urls);
    if (urls.isEmpty()) {
      throw new ConfigException(SCHEMA_REGISTRY_URL + " must name at least one URL");
    }
    Objects.requireNonNull(authorization, "authorization");
    requirePositive(connectTimeout, HTTP_CONNECT_TIMEOUT_MS);
    requirePositive(requestTimeout, HTTP_READ_TIMEOUT_MS);
  }

  /** One URL, no credentials, default timeouts. */
  public static RegistryConfig of(String url) {
    return fromConfigs(Map.of(SCHEMA_REGISTRY_URL, url));
  }

  /**
   * Parses Confluent's client settings.
   *
   * <ul>
   *   <li>{@code schema.registry.url}: one or more comma-separated base URLs (required);
   *   <li>{@code basic.auth.credentials.source}: {@code USER_INFO} (take {@code
   *       basic.auth.user.info=KEY:SECRET}) or {@code URL} (take the user info of the URL). When
   *       unset, {@code basic.auth.user.info} is used if present, else the URL's user info;
   *   <li>{@code bearer.auth.credentials.source=STATIC_TOKEN} with {@code bearer.auth.token};
   *   <li>{@code http.connect.timeout.ms} (default 10 s), {@code http.read.timeout.ms} (default 30
   *       s).
   * </ul>
   *
   * @throws ConfigException naming the bad setting and the accepted values (never its secret)
   */
  public static RegistryConfig fromConfigs(Map<String, ?> configs) {
    String rawUrls =
        string(configs, SCHEMA_REGISTRY_URL)
            .orElseThrow(
                () -> new ConfigException("Missing required setting " + SCHEMA_REGISTRY_URL));
    List<URI> urls = new ArrayList<>();
    String urlUserInfo = null;
    for (String part : rawUrls.split(",")) {
      String trimmed = part.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      URI uri = parseUrl(trimmed);
      if (uri.getRawUserInfo() != null && urlUserInfo == null) {
        urlUserInfo = decode(uri.getRawUserInfo());
      }
      urls.add(withoutUserInfo(uri));
    }

    Optional<String> basicSource =
        string(configs, BASIC_AUTH_CREDENTIALS_SOURCE).map(s -> s.toUpperCase(Locale.ROOT));
    Optional<String> userInfo = string(configs, BASIC_AUTH_USER_INFO);
    Optional<String> bearerSource =
        string(configs, BEARER_AUTH_CREDENTIALS_SOURCE).map(s -> s.toUpperCase(Locale.ROOT));
    Optional<String> token = string(configs, BEARER_AUTH_TOKEN);

    String basic =
        switch (basicSource.orElse("")) {
          case "USER_INFO" ->
              userInfo.orElseThrow(
                  () ->
                      new ConfigException(
                          BASIC_AUTH_CREDENTIALS_SOURCE
                              + "=USER_INFO needs "
                              + BASIC_AUTH_USER_INFO
                              + "=KEY:SECRET"));
          case "URL" -> urlUserInfo;
          case "" -> userInfo.orElse(urlUserInfo);
          default ->
              throw new ConfigException(
                  "Unsupported "
                      + BASIC_AUTH_CREDENTIALS_SOURCE
                      + "="
                      + basicSource.get()
                      + "; accepted: USER_INFO, URL");
        };
    if (basic != null && basic.indexOf(':') < 0) {
      throw new ConfigException(
          BASIC_AUTH_USER_INFO + " (or the URL's user info) must have the form KEY:SECRET");
    }

    String bearer = null;
    if (bearerSource.isPresent() || token.isPresent()) {
      String source = bearerSource.orElse("STATIC_TOKEN");
      if (!source.equals("STATIC_TOKEN")) {
        throw new ConfigException(
            "Unsupported "
                + BEARER_AUTH_CREDENTIALS_SOURCE
                + "="
                + source
                + "; accepted: STATIC_TOKEN");
      }
      bearer =
          token.orElseThrow(
              () ->
                  new ConfigException(
                      BEARER_AUTH_CREDENTIALS_SOURCE + "=STATIC_TOKEN needs " + BEARER_AUTH_TOKEN));
    }
    if (basic != null && bearer != null) {
      throw new ConfigException(
          "Both basic and bearer credentials are set; set only one of "
              + BASIC_AUTH_USER_INFO
              + " and "
              + BEARER_AUTH_TOKEN);
    }
    Optional<String> authorization = Optional.empty();
    if (basic != null) {
      authorization =
          Optional.of(
              "Basic "
                  + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
    } else if (bearer != null) {
      authorization = Optional.of("Bearer " + bearer);
    }

    return new RegistryConfig(
        urls,
        authorization,
        millis(configs, HTTP_CONNECT_TIMEOUT_MS).orElse(DEFAULT_CONNECT_TIMEOUT),
        millis(configs, HTTP_READ_TIMEOUT_MS).orElse(DEFAULT_REQUEST_TIMEOUT));
  }

  /** Same URLs and timeouts with a different request timeout. */
  public RegistryConfig withRequestTimeout(Duration timeout) {
    return new RegistryConfig(urls, authorization, connectTimeout, timeout);
  }

  @Override
  public String toString() {
    return "RegistryConfig[urls="
        + urls
        + ", authorization="
        + authorization.map(a -> a.substring(0, a.indexOf(' ')) + " ***").orElse("none")
        + ", connectTimeout="
        + connectTimeout
        + ", requestTimeout="
        + requestTimeout
        + "]";
  }

  private static Optional<String> string(Map<String, ?> configs, String key) {
    Object value = configs.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof org.apache.kafka.common.config.types.Password password) {
      value = password.value();
    } else if (value instanceof List<?> list) {
      value = String.join(",", list.stream().map(String::valueOf).toList());
    }
    String s = value.toString().trim();
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  private static Optional<Duration> millis(Map<String, ?> configs, String key) {
    return string(configs, key)
        .map(
            s -> {
              try {
                return Duration.ofMillis(Long.parseLong(s));
              } catch (NumberFormatException e) {
                throw new ConfigException(
                    key + " must be a whole number of milliseconds, got " + s);
              }
            });
  }

  private static void requirePositive(Duration d, String key) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || d.isZero()) {
      throw new ConfigException(key + " must be positive, got " + d.toMillis() + " ms");
    }
  }

  private static URI parseUrl(String url) {
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
        throw new ConfigException(
            SCHEMA_REGISTRY_URL
                + " entries must be http(s)://host[:port][/path] URLs, got "
                + redact(url));
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(SCHEMA_REGISTRY_URL + " has an invalid URL: " + redact(url));
    }
  }

  private static URI withoutUserInfo(URI uri) {
    String authority = uri.getRawAuthority();
    authority = authority.substring(authority.lastIndexOf('@') + 1);
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return URI.create(uri.getScheme() + "://" + authority + path);
  }

  /** Drops anything between "://" and "@" so a URL can be shown. */
  static String redact(String url) {
    return url.replaceAll("://[^/@]*@", "://***@");
  }

  private static String decode(String raw) {
    return java.net.URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
