package io.editstream.processor.chaos;

import static io.editstream.processor.testsupport.Pipeline.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.processor.testsupport.Pipeline;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.FailureCode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs as large as a topic with Kafka's default limits accepts: a producer with default settings
 * sends records up to {@code max.request.size} = 1,048,576 bytes, and the broker takes them. What
 * the processor writes for such a record is larger than what it read (the DLQ record adds headers,
 * the failure event embeds the job and adds its own fields, the pending-store changelog adds the
 * job's progress), so each case checks that the processor still gives a clear outcome and that the
 * jobs after it are still answered.
 *
 * <p>Found by this suite (see docs/reliability.md): before the fix on main (commit 103d1cc), the
 * processor's own producer failed with {@code RecordTooLargeException}, the default production
 * exception handler answered FAIL, the stream thread died, was replaced, read the same record again
 * and died again: one ~1 MB record stopped every partition of the instance. Each case also counts
 * replaced stream threads, which must stay at zero.
 */
class RecordSizeLimitTest {

  /** Producer-side overhead bound of one record: batch header 61, record header 21, varints. */
  private static final int OVERHEAD = 61 + 21 + 10;

  private static final int MAX_REQUEST_SIZE = 1_048_576;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void shouldDeadLetterAnUndecodableRecordAsLargeAsTheTopicAccepts(@TempDir Path work)
      throws Exception {
    runCase(
        work,
        "garbage-at-limit",
        (pipeline, size) -> {
          byte[] garbage = new byte[size];
          new Random(1).nextBytes(garbage);
          garbage[0] = 0x42; // not the Confluent magic byte: undecodable
          return garbage;
        },
        pipeline -> pipeline.dlq.stream().anyMatch(r -> "garbage-at-limit".equals(r.key())));
  }

  @Test
  void shouldFailAJobWithAnInstructionAsLargeAsTheTopicAccepts(@TempDir Path work)
      throws Exception {
    runCase(
        work,
        "instruction-at-limit",
        (pipeline, size) ->
            largest(pipeline, size, n -> job("instruction-at-limit", "x".repeat(n), png())),
        pipeline -> pipeline.answered("instruction-at-limit"));
  }

  @Test
  void shouldAnswerAValidJobWithAnInlineImageAsLargeAsTheTopicAccepts(@TempDir Path work)
      throws Exception {
    runCase(
        work,
        "image-at-limit",
        (pipeline, size) ->
            largest(
                pipeline,
                size,
                n ->
                    job(
                        "image-at-limit",
                        "remove the background",
                        // PNG decoders stop at IEND; the trailing bytes only make the job large.
                        Arrays.copyOf(png(), Math.max(png().length, n)))),
        pipeline -> pipeline.answered("image-at-limit"));
  }

  private void runCase(
      Path work,
      String key,
      BiFunction<Pipeline, Integer, byte[]> value,
      Predicate<Pipeline> answered)
      throws Exception {
    try (ThreadDeaths threadDeaths = ThreadDeaths.watch();
        Emulator emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(20));
        Pipeline pipeline = new Pipeline()) {
      try (EditstreamProcessor processor =
          EditstreamProcessor.start(
              ProcessorConfig.from(Settings.of(pipeline.settings(emulator.baseUrl(), work))))) {
        byte[] record = value.apply(pipeline, MAX_REQUEST_SIZE - OVERHEAD - key.length() - 16);
        pipeline.sendRaw(key, record);
        List<String> after = IntStream.range(0, 6).mapToObj(i -> key + "-after-" + i).toList();
        after.forEach(id -> pipeline.send(job(id, "remove the background " + id, png())));
        pipeline.flush(); // the broker took it: it is valid input for a default topic

        boolean done =
            pipeline.readUntil(
                () -> answered.test(pipeline) && after.stream().allMatch(pipeline::answered), WAIT);
        assertThat(done)
            .as(
                "an outcome for the %d-byte record %s and for the jobs after it; stream threads"
                    + " died: %d; failures %s, DLQ %s, results %s",
                record.length,
                key,
                threadDeaths.count(),
                pipeline.failures.keySet(),
                pipeline.dlq.stream().map(r -> r.key()).toList(),
                pipeline.results.keySet())
            .isTrue();
        assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(threadDeaths.count()).as("stream threads that died").isZero();
        if (key.equals("garbage-at-limit")) {
          // Claim check: the DLQ record points to the original bytes, kept whole.
          var dead =
              pipeline.dlq.stream().filter(r -> key.equals(r.key())).findFirst().orElseThrow();
          var uri = dead.headers().lastHeader("editstream.dlq.value.uri");
          assertThat(uri).as("DLQ header editstream.dlq.value.uri").isNotNull();
          assertThat(
                  java.nio.file.Files.readAllBytes(
                      Path.of(
                          java.net.URI.create(
                              new String(uri.value(), java.nio.charset.StandardCharsets.UTF_8)))))
              .isEqualTo(record);
        }
        EditFailure f = pipeline.failures.get(key);
        if (key.equals("instruction-at-limit")) {
          assertThat(f.getCode()).isEqualTo(FailureCode.INSTRUCTION_TOO_LONG);
        }
        if (key.equals("image-at-limit")) {
          assertThat(pipeline.results).as("failure %s", f).containsKey(key);
        }
      }
    }
  }

  private static byte[] png() {
    return TestPngs.small(6);
  }

  /** The frame of {@code jobOfSize(n)} grown until it is {@code size} bytes (or just below). */
  private static byte[] largest(Pipeline pipeline, int size, IntFunction<EditJob> jobOfSize) {
    int n = size;
    byte[] frame = pipeline.frame(jobOfSize.apply(n));
    for (int i = 0; i < 6 && frame.length != size; i++) {
      n += size - frame.length;
      frame = pipeline.frame(jobOfSize.apply(n));
    }
    while (frame.length > size) {
      n -= frame.length - size;
      frame = pipeline.frame(jobOfSize.apply(n));
    }
    return frame;
  }
}
