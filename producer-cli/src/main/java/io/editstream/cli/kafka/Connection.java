package io.editstream.cli.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Resolved connection settings: Kafka client settings, schema registry / serde settings and topic
 * names. {@link #toString()} shows addresses only, never credentials.
 */
public final class Connection {
  /** Settings that belong to the registry client and the serde, not to Kafka's clients. */
  private static final List<String> REGISTRY_PREFIXES =
      List.of(
          "schema.registry.",
          "basic.auth.",
          "bearer.auth.",
          "http.connect.timeout.ms",
          "http.read.timeout.ms",
          "auto.register.schemas",
          "use.latest.version",
          "latest.compatibility.strict");

  private final String bootstrapServers;
  private final String registryUrl;
  private final Map<String, Object> kafka;
  private final Map<String, Object> registry;
  private final Topics topics;
  private final Duration timeout;

  private Connection(
      String bootstrapServers,
      String registryUrl,
      Map<String, Object> kafka,
      Map<String, Object> registry,
      Topics topics,
      Duration timeout) {
    this.bootstrapServers = bootstrapServers;
    this.registryUrl = registryUrl;
    this.kafka = Map.copyOf(kafka);
    this.registry = Map.copyOf(registry);
    this.topics = topics;
    this.timeout = timeout;
  }

  /** Splits {@code file} into Kafka and registry settings; the addresses given win over it. */
  public static Connection of(
      String bootstrap, String registryUrl, Properties file, Topics topics, Duration timeout) {
    Map<String, Object> kafka = new HashMap<>();
    Map<String, Object> registry = new HashMap<>();
    for (String key : file.stringPropertyNames()) {
      String value = file.getProperty(key);
      if (REGISTRY_PREFIXES.stream().anyMatch(key::startsWith)) {
        registry.put(key, value);
      } else {
        kafka.put(key, value);
      }
    }
    kafka.put("bootstrap.servers", bootstrap);
    registry.put("schema.registry.url", registryUrl);
    int ms = (int) Math.max(1000, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    registry.putIfAbsent("http.connect.timeout.ms", String.valueOf(ms));
    registry.putIfAbsent("http.read.timeout.ms", String.valueOf(ms));
    return new Connection(bootstrap, registryUrl, kafka, registry, topics, timeout);
  }

  /** A copy of the Kafka client settings (bootstrap and file settings), for one client. */
  public Map<String, Object> kafkaClient() {
    return new HashMap<>(kafka);
  }

  /** Registry and serde settings ({@code schema.registry.url}, auth, timeouts). */
  public Map<String, Object> registryConfig() {
    return new HashMap<>(registry);
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public String registryUrl() {
    return registryUrl;
  }

  public Topics topics() {
    return topics;
  }

  public Duration timeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return "Kafka " + bootstrapServers + ", registry " + redact(registryUrl);
  }

  /** Drops user info from a URL (http://user:secret@host → http://host). */
  public static String redact(String url) {
    return url.replaceAll("//[^/@]*@", "//");
  }
}
