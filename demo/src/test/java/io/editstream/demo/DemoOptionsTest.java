package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoOptionsTest {
  private static final Path OUT = Path.of("out");

  @Test
  void shouldUseTheEmulatorWithoutAKey() {
    DemoOptions o = DemoOptions.fromEnvironment(OUT, Map.of("GEMINI_BASE_URL", "http://x"));
    assertThat(o.provider()).isEqualTo(DemoOptions.Provider.EMULATOR);
    assertThat(o.geminiApiKey()).isNull();
    assertThat(o.geminiBaseUrl()).as("a base URL alone does not leave the emulator").isNull();
  }

  @Test
  void shouldUseGoogleWithAKeyAndNoBaseUrl() {
    DemoOptions o = DemoOptions.fromEnvironment(OUT, Map.of("GEMINI_API_KEY", "AIza-secret"));
    assertThat(o.provider()).isEqualTo(DemoOptions.Provider.GEMINI);
    assertThat(o.geminiBaseUrl()).isNull();
  }

  @Test
  void shouldUseTheGivenBaseUrlWithAKey() {
    DemoOptions o =
        DemoOptions.fromEnvironment(
            OUT, Map.of("GEMINI_API_KEY", "k", "GEMINI_BASE_URL", " http://proxy:1 "));
    assertThat(o.geminiBaseUrl()).isEqualTo("http://proxy:1");
  }

  @Test
  void shouldTreatABlankKeyAsUnset() {
    assertThat(DemoOptions.fromEnvironment(OUT, Map.of("GEMINI_API_KEY", "  ")).provider())
        .isEqualTo(DemoOptions.Provider.EMULATOR);
  }

  @Test
  void shouldNeverPrintTheKey() {
    DemoOptions o = DemoOptions.fromEnvironment(OUT, Map.of("GEMINI_API_KEY", "AIza-secret"));
    assertThat(o.toString()).doesNotContain("AIza-secret").contains("***");
  }

  @Test
  void shouldNameTheBadOption() {
    DemoOptions o = DemoOptions.fromEnvironment(OUT, Map.of());
    assertThatThrownBy(() -> o.withEmulatorLatencyMs(-1)).hasMessageContaining("latency");
    assertThatThrownBy(() -> o.withTimeout(Duration.ZERO)).hasMessageContaining("timeout");
    assertThatThrownBy(() -> o.withProvider(DemoOptions.Provider.GEMINI))
        .hasMessageContaining("GEMINI_API_KEY");
  }
}
