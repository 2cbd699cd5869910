package io.editstream.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class RegistryConfigTest {

  private static final String URL = "schema.registry.url";

  @Test
  void shouldParseSeveralUrlsAndTimeouts() {
    RegistryConfig config =
        RegistryConfig.fromConfigs(
            Map.of(
                URL,
                "http://127.0.0.1:1/, https://127.0.0.1:2/apis/ccompat/v7",
                "http.connect.timeout.ms",
                "1500",
                "http.read.timeout.ms",
                2500));

    assertThat(config.urls())
        .extracting(Object::toString)
        .containsExactly("http://127.0.0.1:1", "https://127.0.0.1:2/apis/ccompat/v7");
    assertThat(config.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.requestTimeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(config.authorization()).isEmpty();
  }

  @Test
  void shouldNameTheBadSettingAndAcceptedValues() {
    assertThatThrownBy(() -> RegistryConfig.fromConfigs(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(URL);
    assertThatThrownBy(() -> RegistryConfig.fromConfigs(Map.of(URL, "ftp://127.0.0.1")))
        .hasMessageContaining(URL);
    assertThatThrownBy(
            () ->
                RegistryConfig.fromConfigs(
                    Map.of(
                        URL, "http://127.0.0.1", "basic.auth.credentials.source", "SASL_INHERIT")))
        .hasMessageContaining("basic.auth.credentials.source")
        .hasMessageContaining("USER_INFO, URL");
    assertThatThrownBy(
            () ->
                RegistryConfig.fromConfigs(
                    Map.of(
                        URL, "http://127.0.0.1", "bearer.auth.credentials.source", "OAUTHBEARER")))
        .hasMessageContaining("STATIC_TOKEN");
    assertThatThrownBy(
            () ->
                RegistryConfig.fromConfigs(
                    Map.of(URL, "http://127.0.0.1", "http.read.timeout.ms", "soon")))
        .hasMessageContaining("http.read.timeout.ms");
  }

  @Test
  void shouldNeverShowSecretsInErrorsOrToString() {
    String secret = "hunter2-very-secret";
    assertThatThrownBy(
            () ->
                RegistryConfig.fromConfigs(
                    Map.of(URL, "http://127.0.0.1", "basic.auth.user.info", secret)))
        .hasMessageContaining("KEY:SECRET")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
    assertThatThrownBy(
            () ->
                RegistryConfig.fromConfigs(
                    Map.of(
                        URL,
                        "http://127.0.0.1",
                        "basic.auth.user.info",
                        "k:" + secret,
                        "bearer.auth.token",
                        secret)))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
    assertThatThrownBy(() -> RegistryConfig.fromConfigs(Map.of(URL, "gopher://k:" + secret + "@h")))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));

    RegistryConfig config =
        RegistryConfig.fromConfigs(Map.of(URL, "http://127.0.0.1", "bearer.auth.token", secret));
    assertThat(config.toString()).contains("Bearer ***").doesNotContain(secret);
  }
}
