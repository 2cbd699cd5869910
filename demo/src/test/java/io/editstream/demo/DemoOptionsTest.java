package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

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

  @Test
  void shouldKeepTheLocalBlobStoreByDefault() {
    assertThat(DemoOptions.fromEnvironment(OUT, Map.of()).blobStore())
        .isEqualTo(DemoOptions.BlobStore.LOCAL);
    DemoMain main = new DemoMain();
    new CommandLine(main).parseArgs();
    assertThat(DemoOptions.BlobStore.parse(main.blobStore)).isEqualTo(DemoOptions.BlobStore.LOCAL);
  }

  @Test
  void shouldParseTheBlobStoreOption() {
    DemoMain main = new DemoMain();
    new CommandLine(main).parseArgs("--blob-store", "s3");
    assertThat(DemoOptions.BlobStore.parse(main.blobStore)).isEqualTo(DemoOptions.BlobStore.S3);
    assertThat(DemoOptions.BlobStore.parse(" S3 ")).isEqualTo(DemoOptions.BlobStore.S3);
    assertThat(DemoOptions.BlobStore.parse("Local")).isEqualTo(DemoOptions.BlobStore.LOCAL);
    assertThat(
            DemoOptions.fromEnvironment(OUT, Map.of())
                .withBlobStore(DemoOptions.BlobStore.S3)
                .toString())
        .contains("blobStore=S3");
  }

  @Test
  void shouldNameTheBlobStoreOptionAndItsValuesWhenBad() {
    assertThatThrownBy(() -> DemoOptions.BlobStore.parse("gcs"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--blob-store must be local or s3, was 'gcs'");
    assertThatThrownBy(() -> DemoOptions.BlobStore.parse("")).hasMessageContaining("local or s3");
  }

  @Test
  void shouldListTheBlobStoreOptionInTheHelp() {
    String help = new CommandLine(new DemoMain()).getUsageMessage();
    assertThat(help).contains("--blob-store=local|s3").contains("presigned URL");
  }

  @Test
  void shouldStopBeforeStartingWhenTheGivenModelApiRefusesConnections() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    DemoOptions o =
        DemoOptions.fromEnvironment(
            OUT,
            Map.of(
                "GEMINI_API_KEY",
                "AIza-secret",
                "GEMINI_BASE_URL",
                "http://127.0.0.1:" + closedPort));

    assertThatThrownBy(() -> DemoMain.checkModelApi(o))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot connect to http://127.0.0.1:" + closedPort)
        .hasMessageContaining("GEMINI_BASE_URL")
        .hasMessageContaining("--emulator")
        .hasMessageNotContaining("AIza-secret");
    DemoMain.checkModelApi(o.withProvider(DemoOptions.Provider.EMULATOR));
  }

  @Test
  void shouldSayInOneLineWhichOptionIsBadAndExitTwo() {
    java.io.PrintStream saved = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit;
    try {
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
      exit = DemoMain.run("--jobs", "abc", "--output", "never-written");
    } finally {
      System.setErr(saved);
    }
    String message = err.toString(java.nio.charset.StandardCharsets.UTF_8);

    assertThat(exit).isEqualTo(2);
    assertThat(message)
        .contains("editstream-demo: Invalid value for option '--jobs': 'abc' is not an int")
        .contains("--help")
        .doesNotContain("Usage:");
  }
}
