package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

  private static EmulatorConfig parse(String... args) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main.config();
  }

  @Test
  void shouldDefaultToLoopbackPort8089AndGeminiLatency() {
    EmulatorConfig config = parse();
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.port()).isEqualTo(8089);
    assertThat(config.latencyMeanMs()).isEqualTo(2800);
    assertThat(config.rpm()).isZero();
    assertThat(config.errorRate()).isZero();
  }

  @Test
  void shouldMapEveryFlagToTheConfig() {
    EmulatorConfig config =
        parse(
            "--host",
            "127.0.0.2",
            "--port",
            "0",
            "--api-key",
            "secret-key",
            "--latency-mean-ms",
            "100",
            "--latency-sigma",
            "0",
            "--rpm",
            "10",
            "--ipm",
            "11",
            "--tpm",
            "12",
            "--rpd",
            "13",
            "--error-rate",
            "0.1",
            "--timeout-rate",
            "0.05",
            "--drop-rate",
            "0.01",
            "--block-rate",
            "0.02",
            "--image-safety-rate",
            "0.03",
            "--no-image-rate",
            "0.04",
            "--slow-rate",
            "0.2",
            "--slow-ms",
            "9000",
            "--seed",
            "5",
            "--models",
            "a,b");
    assertThat(config)
        .extracting(
            EmulatorConfig::host,
            EmulatorConfig::port,
            EmulatorConfig::apiKey,
            EmulatorConfig::latencyMeanMs,
            EmulatorConfig::rpm,
            EmulatorConfig::ipm,
            EmulatorConfig::tpm,
            EmulatorConfig::rpd,
            EmulatorConfig::errorRate,
            EmulatorConfig::slowMs,
            EmulatorConfig::seed)
        .containsExactly("127.0.0.2", 0, "secret-key", 100L, 10L, 11L, 12L, 13L, 0.1, 9000L, 5L);
    assertThat(config.models()).containsExactly("a", "b");
    assertThat(config.toString()).doesNotContain("secret-key");
  }

  @Test
  void shouldMapTheBatchFlagsAndDefaultToGooglesConcurrentLimit() {
    EmulatorConfig defaults = parse();
    EmulatorConfig config =
        parse(
            "--batch-turnaround-ms",
            "250",
            "--batch-max-concurrent",
            "3",
            "--batch-max-enqueued-tokens",
            "9000",
            "--batch-drop-inline-metadata");

    assertThat(defaults.batchTurnaround()).isEqualTo(Duration.ofSeconds(5));
    assertThat(defaults.batchMaxConcurrent()).isEqualTo(100);
    assertThat(defaults.batchMaxEnqueuedTokens()).isZero();
    assertThat(config.batchTurnaround()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.batchMaxConcurrent()).isEqualTo(3);
    assertThat(config.batchMaxEnqueuedTokens()).isEqualTo(9000);
    assertThat(defaults.batchEchoesMetadata()).isTrue();
    assertThat(config.batchEchoesMetadata()).isFalse();
    assertThatThrownBy(() -> parse("--batch-turnaround-ms", "-1"))
        .hasMessageContaining("batchTurnaround");
  }

  @Test
  void shouldSwitchCheapRenderOnOnlyWhenAsked() {
    assertThat(parse().cheapRender()).isFalse();
    assertThat(EmulatorConfig.defaults().cheapRender()).isFalse();
    EmulatorConfig config = parse("--cheap-render");
    assertThat(config.cheapRender()).isTrue();
    assertThat(config.toString()).contains("cheapRender=true");
  }

  @Test
  void shouldRefuseBadSettingsNamingThem() {
    assertThat(Main.run("--error-rate", "1.5")).isEqualTo(2);
    assertThatThrownBy(() -> parse("--error-rate", "0.6", "--drop-rate", "0.6"))
        .hasMessageContaining("errorRate + timeoutRate + dropRate");
    assertThatThrownBy(() -> parse("--rpm", "-1")).hasMessageContaining("rpm");
  }
}
