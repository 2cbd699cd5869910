package io.editstream.serde;

import io.editstream.registry.RegistryConfig;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigException;

/**
 * The serde's own settings, under Confluent's names. The registry connection settings ({@code
 * schema.registry.url}, auth, timeouts) are described by {@link RegistryConfig}.
 *
 * @param autoRegisterSchemas {@code auto.register.schemas} (default true): the serializer registers
 *     the record's schema under the subject; when false it only looks the schema up
 * @param useLatestVersion {@code use.latest.version} (default false): the serializer writes with
 *     the subject's latest schema and id, converting the record to it
 * @param latestCompatibilityStrict {@code latest.compatibility.strict} (default true): with {@code
 *     use.latest.version}, refuse a record whose schema the latest version cannot read
 */
public record AvroSerdeConfig(
    boolean autoRegisterSchemas, boolean useLatestVersion, boolean latestCompatibilityStrict) {

  public static final String SCHEMA_REGISTRY_URL = RegistryConfig.SCHEMA_REGISTRY_URL;
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
  public static final String USE_LATEST_VERSION = "use.latest.version";
  public static final String LATEST_COMPATIBILITY_STRICT = "latest.compatibility.strict";
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE =
      RegistryConfig.BASIC_AUTH_CREDENTIALS_SOURCE;
  public static final String BASIC_AUTH_USER_INFO = RegistryConfig.BASIC_AUTH_USER_INFO;
  public static final String BEARER_AUTH_CREDENTIALS_SOURCE =
      RegistryConfig.BEARER_AUTH_CREDENTIALS_SOURCE;
  public static final String BEARER_AUTH_TOKEN = RegistryConfig.BEARER_AUTH_TOKEN;

  /** Record class to read keys into, for deserializers made by Kafka from a class name. */
  public static final String SPECIFIC_AVRO_KEY_TYPE = "specific.avro.key.type";

  /** Record class to read values into, for deserializers made by Kafka from a class name. */
  public static final String SPECIFIC_AVRO_VALUE_TYPE = "specific.avro.value.type";

  /** Confluent's defaults. */
  public static final AvroSerdeConfig DEFAULTS = new AvroSerdeConfig(true, false, true);

  /**
   * Reads the serde settings from a Kafka client configuration.
   *
   * @throws ConfigException naming the setting and the accepted values
   */
  public static AvroSerdeConfig fromConfigs(Map<String, ?> configs) {
    return new AvroSerdeConfig(
        bool(configs, AUTO_REGISTER_SCHEMAS).orElse(DEFAULTS.autoRegisterSchemas),
        bool(configs, USE_LATEST_VERSION).orElse(DEFAULTS.useLatestVersion),
        bool(configs, LATEST_COMPATIBILITY_STRICT).orElse(DEFAULTS.latestCompatibilityStrict));
  }

  private static Optional<Boolean> bool(Map<String, ?> configs, String key) {
    Object value = configs.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Boolean b) {
      return Optional.of(b);
    }
    return switch (value.toString().trim().toLowerCase(Locale.ROOT)) {
      case "true" -> Optional.of(true);
      case "false" -> Optional.of(false);
      default ->
          throw new ConfigException(
              "Invalid value '" + value + "' for " + key + "; accepted: true, false");
    };
  }
}
