package io.editstream.processor.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ConfigException;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.model.ModelClient;
import io.editstream.processor.model.ModelRequest;
import io.editstream.processor.model.Outcome;
import io.editstream.processor.testsupport.Pipeline;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up builds the serdes and the model client beside the topic checks (issue 17.1): a
 * failure of either side still stops the start with its own exception and message, and a model
 * client built while the checks failed is closed, not left running.
 */
class ProcessorStartupTest {

  @Test
  void shouldNameTheSettingAndCloseTheModelClientWhenTheTopicChecksFail(@TempDir Path work)
      throws Exception {
    try (Pipeline pipeline = new Pipeline(2)) {
      String cancel = pipeline.prefix + "cancel-three";
      pipeline.broker.createTopic(cancel, 3);
      Map<String, String> settings = pipeline.settings("http://127.0.0.1:9", work);
      settings.put("http.port", "-1");
      settings.put("topic.cancel", "cancel-three"); // topic.prefix is added
      AtomicBoolean closed = new AtomicBoolean();

      assertThatThrownBy(
              () ->
                  EditstreamProcessor.start(
                      config(settings), c -> new IdleClient(closed), Clock.systemUTC()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(cancel + " has 3 partitions")
          .satisfies(e -> assertThat(((ConfigException) e).setting()).isEqualTo("topic.cancel"));
      assertThat(closed).as("the model client built beside the checks is closed").isTrue();
    }
  }

  @Test
  void shouldStopWithTheModelClientsOwnExceptionWhenItCannotBeBuilt(@TempDir Path work)
      throws Exception {
    try (Pipeline pipeline = new Pipeline(2)) {
      Map<String, String> settings = pipeline.settings("http://127.0.0.1:9", work);
      settings.put("http.port", "-1");

      assertThatThrownBy(
              () ->
                  EditstreamProcessor.start(
                      config(settings),
                      c -> {
                        throw new ConfigException("gemini.api.key", "refused by the test");
                      },
                      Clock.systemUTC()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("refused by the test")
          .satisfies(e -> assertThat(((ConfigException) e).setting()).isEqualTo("gemini.api.key"));
    }
  }

  private static ProcessorConfig config(Map<String, String> settings) {
    return ProcessorConfig.from(Settings.of(settings));
  }

  /** A model client that is never called; it notes when it is closed. */
  private record IdleClient(AtomicBoolean closed) implements ModelClient {
    @Override
    public CompletableFuture<Outcome> generate(ModelRequest request) {
      throw new AssertionError("no call expected");
    }

    @Override
    public String provider() {
      return "ai-studio";
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }
}
