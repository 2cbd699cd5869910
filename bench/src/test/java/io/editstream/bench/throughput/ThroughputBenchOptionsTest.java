package io.editstream.bench.throughput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ThroughputBenchOptionsTest {

  @Test
  void shouldTakeAnHttpEmulatorUrlWithoutItsTrailingSlash() {
    assertThat(ThroughputBench.externalEmulatorUrl("http://127.0.0.1:8089/"))
        .isEqualTo("http://127.0.0.1:8089");
    assertThat(ThroughputBench.externalEmulatorUrl(" https://emu.example:443 "))
        .isEqualTo("https://emu.example:443");
  }

  @Test
  void shouldNameTheOptionWhenTheEmulatorUrlIsNotHttp() {
    for (String bad : new String[] {"127.0.0.1:8089", "ftp://host/x", "http://", "not a url"}) {
      assertThatThrownBy(() -> ThroughputBench.externalEmulatorUrl(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--emulator-url")
          .hasMessageContaining(bad);
    }
  }

  @Test
  void shouldRejectABadEmulatorUrlBeforeStartingAnything() {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ThroughputBench()).setErr(new PrintWriter(err));

    int code = cmd.execute("--emulator-url", "localhost:8089", "--no-doc");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--emulator-url: 'localhost:8089' is not an http(s) URL");
  }

  @Test
  void shouldRefuseCheapRenderForAnEmulatorInItsOwnJvm() {
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new ThroughputBench()).setErr(new PrintWriter(err));

    int code = cmd.execute("--emulator-url", "http://127.0.0.1:8089", "--cheap-render", "--no-doc");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("start that emulator with --cheap-render");
  }
}
