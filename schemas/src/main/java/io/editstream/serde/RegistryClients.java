package io.editstream.serde;

import io.editstream.registry.InMemorySchemaRegistryClient;
import io.editstream.registry.RegistryConfig;
import io.editstream.registry.RestSchemaRegistryClient;
import io.editstream.registry.SchemaRegistryClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One registry client per distinct registry configuration in the JVM, so every serde configured the
 * same way shares one HTTP client and one id cache (ids never change, so sharing is safe).
 */
final class RegistryClients {

  private static final String MOCK_SCHEME = "mock://";
  private static final Map<RegistryConfig, SchemaRegistryClient> SHARED = new ConcurrentHashMap<>();

  private RegistryClients() {}

  static SchemaRegistryClient forConfigs(Map<String, ?> configs) {
    Object url = configs.get(RegistryConfig.SCHEMA_REGISTRY_URL);
    if (url != null && url.toString().trim().startsWith(MOCK_SCHEME)) {
      return InMemorySchemaRegistryClient.scope(
          url.toString().trim().substring(MOCK_SCHEME.length()));
    }
    RegistryConfig config = RegistryConfig.fromConfigs(configs);
    return SHARED.computeIfAbsent(config, RestSchemaRegistryClient::new);
  }
}
