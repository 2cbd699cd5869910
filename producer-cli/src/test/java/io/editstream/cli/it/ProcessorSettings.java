package io.editstream.cli.it;

import io.editstream.emulator.Emulator;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.SchemaRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The settings of a processor the CLI end-to-end tests run against: add a test's own to them. */
final class ProcessorSettings {
  private ProcessorSettings() {}

  /**
   * The shared broker and registry, the emulator with {@code apiKey} as the model, topics under
   * {@code prefix} with 2 partitions, state and blobs under {@code dir}, /jobs and /metrics on an
   * ephemeral loopback port.
   */
  static Map<String, String> of(
      KafkaBroker broker,
      SchemaRegistry registry,
      Emulator emulator,
      String apiKey,
      String prefix,
      Path dir) {
    Map<String, String> s = new HashMap<>();
    s.put("kafka.bootstrap.servers", broker.bootstrapServers());
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", apiKey);
    s.put("gemini.base.url", emulator.baseUrl());
    s.put("topic.prefix", prefix);
    s.put("topic.partitions", "2");
    s.put("application.id", prefix + "processor");
    s.put("state.dir", dir.resolve("state").toString());
    s.put("blob.dir", dir.resolve("blobs").toString());
    s.put("http.port", "0");
    s.put("http.host", "127.0.0.1");
    return s;
  }
}
