package io.editstream.processor.it;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.FailureCode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A canary API key that the model API refuses: the jobs fail with MODEL_AUTH, and the key appears
 * in no log line (any logger, any level), no outcome event and no metric.
 */
class SecretHygieneTest {
  private static final String CANARY = "AIzaSy-CANARY-do-not-leak-7f3a9c";

  /** Captures every log event of the JVM, formatted, with its stack trace. */
  static final class Capture extends AppenderBase<ILoggingEvent> {
    final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent e) {
      StringBuilder b =
          new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
      if (e.getThrowableProxy() != null) {
        b.append('\n').append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
      lines.add(b.toString());
    }
  }

  @Test
  void shouldKeepTheApiKeyOutOfLogsEventsAndMetrics(@TempDir Path work) throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = logging.getLogger(Logger.ROOT_LOGGER_NAME);
    Capture capture = new Capture();
    capture.setContext(logging);
    capture.start();
    root.addAppender(capture);
    ch.qos.logback.classic.Level before = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    logging.getLogger("io.editstream").setLevel(ch.qos.logback.classic.Level.DEBUG);
    byte[] rocket;
    try (InputStream in = getClass().getResourceAsStream("/images/rocket.jpg")) {
      rocket = in.readAllBytes();
    }
    String metrics;
    String configText;
    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withApiKey("the-right-key").withLatencyMeanMs(5));
        Pipeline pipeline = new Pipeline()) {
      Map<String, String> settings = pipeline.settings(emulator.baseUrl(), work);
      settings.put("gemini.api.key", CANARY);
      // The first refusal opens the provider's circuit; the next jobs probe it after 1 s, not 30.
      settings.put("provider.circuit.cooldown.ms", "1000");
      ProcessorConfig config = ProcessorConfig.from(Settings.of(settings));
      configText = config.toString();
      try (EditstreamProcessor processor = EditstreamProcessor.start(config)) {
        for (int i = 0; i < 3; i++) {
          pipeline.send(job("leak-" + i, "remove the background", rocket));
        }
        pipeline.flush();
        assertThat(pipeline.readUntil(() -> pipeline.failures.size() >= 3, Duration.ofSeconds(60)))
            .isTrue();
        metrics =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
      }
      assertThat(pipeline.failures.values())
          .allSatisfy(
              f -> {
                assertThat(f.getCode()).isEqualTo(FailureCode.MODEL_AUTH);
                assertThat(f.getRetryable()).isFalse();
                assertThat(f.toString()).doesNotContain(CANARY);
              });
    } finally {
      root.detachAppender(capture);
      root.setLevel(before);
    }
    assertThat(capture.lines).as("log lines captured").isNotEmpty();
    assertThat(capture.lines).noneMatch(line -> line.contains(CANARY));
    assertThat(capture.lines).noneMatch(line -> line.contains(CANARY.substring(8)));
    assertThat(metrics).contains("editstream_jobs_outcome_total").doesNotContain(CANARY);
    assertThat(configText).doesNotContain(CANARY);
  }
}
