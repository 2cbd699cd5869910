package io.editstream.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.config.ProcessorConfig.PoolLimits;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuotaConfigTest {
  private static final String FLASH = "gemini-3.1-flash-image-preview";

  private static ProcessorConfig.Quota quota(Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("gemini.api.key", "k");
    return ProcessorConfig.from(Settings.of(all)).quota();
  }

  @Test
  void shouldBeUnlimitedByDefault() {
    ProcessorConfig.Quota q = quota(Map.of());

    assertThat(q.pools()).isEmpty();
    assertThat(q.limitsOf(FLASH).unlimited()).isTrue();
    assertThat(q.window()).isEqualTo(Duration.ofMillis(60_500));
    assertThat(q.tenantWeights()).isEmpty();
    assertThat(q.defaultTenantWeight()).isEqualTo(1.0);
  }

  @Test
  void shouldApplyTheDefaultPoolToTheDefaultModelWithAnAutomaticBurst() {
    ProcessorConfig.Quota q =
        quota(Map.of("quota.rpm", "1000", "quota.ipm", "900", "quota.rpd", "50000"));

    assertThat(q.pools()).containsOnlyKeys(FLASH);
    assertThat(q.limitsOf(FLASH)).isEqualTo(new PoolLimits(1000, 900, 0, 50_000, 5));
    assertThat(quota(Map.of("quota.rpm", "60")).limitsOf(FLASH).burst()).isEqualTo(1);
  }

  @Test
  void shouldReadPerModelPoolsWhoseIdsContainDots() {
    ProcessorConfig.Quota q =
        quota(
            Map.of(
                "quota.rpm",
                "1000",
                "quota.burst",
                "5",
                "quota.model." + FLASH + ".rpm",
                "2000",
                "quota.model.gemini-3-pro-image-preview.rpm",
                "100",
                "quota.model.gemini-3-pro-image-preview.tpm",
                "200000",
                "quota.model.gemini-3-pro-image-preview.burst",
                "2"));

    // The per-model key wins for the default model; the other limits stay.
    assertThat(q.limitsOf(FLASH)).isEqualTo(new PoolLimits(2000, 0, 0, 0, 5));
    assertThat(q.limitsOf("gemini-3-pro-image-preview"))
        .isEqualTo(new PoolLimits(100, 0, 200_000, 0, 2));
    assertThat(q.limitsOf("gemini-2.5-flash-image").unlimited()).isTrue();
  }

  @Test
  void shouldGiveEachProviderItsOwnPoolWithAiStudioDefaultingToQuota() {
    ProcessorConfig.Quota q =
        quota(
            Map.of(
                "quota.rpm", "1000",
                "quota.tpm", "4000000",
                "provider.ai-studio.quota.rpm", "500",
                "provider.vertex.quota.rpm", "200",
                "provider.vertex.quota.burst", "4",
                "provider.wavespeed.quota.rpd", "10000"));

    // provider.ai-studio.quota.* overrides quota.* limit by limit.
    assertThat(q.limitsOf(FLASH, "ai-studio"))
        .isEqualTo(new PoolLimits(500, 0, 4_000_000, 0, 2))
        .isEqualTo(q.limitsOf(FLASH));
    assertThat(q.limitsOf(FLASH, "vertex")).isEqualTo(new PoolLimits(200, 0, 0, 0, 4));
    assertThat(q.limitsOf(FLASH, "wavespeed")).isEqualTo(new PoolLimits(0, 0, 0, 10_000, 1));
    // Provider limits are the default model's; other models there are not throttled.
    assertThat(q.limitsOf("gemini-3-pro-image-preview", "vertex").unlimited()).isTrue();
  }

  @Test
  void shouldKeepTodaysPoolForAiStudioAndLeaveOtherProvidersUnlimitedByDefault() {
    ProcessorConfig.Quota q = quota(Map.of("quota.rpm", "120", "quota.burst", "2"));

    assertThat(q.limitsOf(FLASH, "ai-studio")).isEqualTo(new PoolLimits(120, 0, 0, 0, 2));
    assertThat(q.limitsOf(FLASH, "vertex").unlimited()).isTrue();
    assertThat(q.limitsOf(FLASH, "wavespeed").unlimited()).isTrue();
  }

  @Test
  void shouldReadProviderQuotasFromTheEnvironment() {
    Settings s =
        Settings.load(
            null,
            Map.of(
                "GEMINI_API_KEY", "k",
                "EDITSTREAM_PROVIDER_AI_STUDIO_QUOTA_RPM", "300",
                "EDITSTREAM_PROVIDER_WAVESPEED_QUOTA_RPM", "60"));

    ProcessorConfig.Quota q = ProcessorConfig.from(s).quota();

    assertThat(q.limitsOf(FLASH, "ai-studio").rpm()).isEqualTo(300);
    assertThat(q.limitsOf(FLASH, "wavespeed").rpm()).isEqualTo(60);
  }

  @Test
  void shouldParseTenantWeights() {
    ProcessorConfig.Quota q =
        quota(
            Map.of(
                "quota.tenant.weights", " acme:3, beta:1.5 ", "quota.tenant.default.weight", "2"));

    assertThat(q.tenantWeights())
        .containsExactlyInAnyOrderEntriesOf(Map.of("acme", 3.0, "beta", 1.5));
    assertThat(q.defaultTenantWeight()).isEqualTo(2.0);
  }

  @Test
  void shouldNameTheBadSetting() {
    assertBad(Map.of("quota.rpm", "-1"), "quota.rpm");
    assertBad(Map.of("quota.rpm", "lots"), "quota.rpm");
    assertBad(Map.of("quota.rpm", "10", "quota.burst", "10"), "quota.burst");
    assertBad(
        Map.of(
            "quota.model.gemini-3-pro-image-preview.rpm",
            "10",
            "quota.model.gemini-3-pro-image-preview.burst",
            "20"),
        "quota.model.gemini-3-pro-image-preview.burst");
    assertBad(Map.of("quota.model.x.rmp", "10"), "quota.model.x.rmp");
    assertBad(Map.of("quota.rmp", "10"), "quota.rmp");
    assertBad(Map.of("quota.tenant.weights", "acme"), "quota.tenant.weights");
    assertBad(Map.of("quota.tenant.weights", "acme:0"), "quota.tenant.weights");
    assertBad(Map.of("quota.tenant.weights", "acme:x"), "quota.tenant.weights");
    assertBad(Map.of("quota.tenant.weights", "acme:1,acme:2"), "quota.tenant.weights");
    assertBad(Map.of("quota.window.ms", "10"), "quota.window.ms");
    assertBad(Map.of("provider.vertex.quota.rpm", "-5"), "provider.vertex.quota.rpm");
    assertBad(
        Map.of("provider.vertex.quota.rpm", "10", "provider.vertex.quota.burst", "10"),
        "provider.vertex.quota.burst");
    assertBad(
        Map.of("quota.rpm", "100", "provider.ai-studio.quota.burst", "100"),
        "provider.ai-studio.quota.burst");
    assertBad(Map.of("provider.vertx.quota.rpm", "10"), "provider.vertx.quota.rpm");
    assertBad(Map.of("provider.vertex.quota.rmp", "10"), "provider.vertex.quota.rmp");
  }

  private static void assertBad(Map<String, String> settings, String name) {
    assertThatThrownBy(() -> quota(settings))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).setting()).isEqualTo(name))
        .hasMessageStartingWith(name + ": ");
  }
}
