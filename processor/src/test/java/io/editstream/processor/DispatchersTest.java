package io.editstream.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.image.FetchPolicy;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DispatchersTest {

  @Test
  void shouldBuildTheFetchPolicyFromTheInputSettings() {
    ProcessorConfig config =
        ProcessorConfig.from(
            Settings.of(
                Map.of(
                    "gemini.api.key", "k-0123456789-secret",
                    "input.http.allow.hosts", "images.example.com,*.cdn.example.com",
                    "input.http.connect.timeout.ms", "1500",
                    "input.http.timeout.ms", "45000",
                    "input.http.max.redirects", "1")));

    FetchPolicy policy = Dispatchers.fetchPolicy(config);

    assertThat(policy.allowedHosts())
        .containsExactlyInAnyOrder("images.example.com", "*.cdn.example.com");
    assertThat(policy.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(policy.totalTimeout()).isEqualTo(Duration.ofSeconds(45));
    assertThat(policy.maxRedirects()).isEqualTo(1);
    assertThat(policy.allowPrivateAddresses()).isFalse();
    assertThat(policy.fileRoot()).isNull();
  }
}
