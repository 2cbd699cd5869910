package io.editstream.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliRunner;
import io.editstream.cli.TestImages;
import io.editstream.cli.submit.BatchFile;
import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import io.editstream.processor.EditstreamProcessor;
import io.editstream.processor.config.ProcessorConfig;
import io.editstream.processor.config.Settings;
import io.editstream.testkit.KafkaBroker;
import io.editstream.testkit.S3Server;
import io.editstream.testkit.SchemaRegistry;
import io.editstream.testkit.TestTopics;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim-check path a user gets without sharing a folder: {@code submit --blob-s3} uploads a
 * large photo to the bucket, the processor (blob.store=s3) reads it by its s3:// URI and stores the
 * finished image there too, and {@code listen --out} downloads it by its presigned URL.
 */
class CliS3EndToEndTest {
  private final KafkaBroker broker = KafkaBroker.shared();
  private final SchemaRegistry registry = SchemaRegistry.shared();
  private final S3Server s3 = S3Server.shared();

  @Test
  void shouldSubmitLargeImagesThroughS3AndDownloadTheResults(@TempDir Path work) throws Exception {
    String prefix = TestTopics.unique("cli-s3") + ".";
    String bucket = TestTopics.unique("cli").toLowerCase(Locale.ROOT).replace('_', '-');
    s3.createBucket(bucket);
    for (String t : List.of("edit-jobs", "edit-results", "edit-failures", "edit-jobs-dlq")) {
      broker.createTopic(prefix + t, 2);
    }
    Map<String, String> s = new HashMap<>();
    s.put("kafka.bootstrap.servers", broker.bootstrapServers());
    s.put("schema.registry.url", registry.url());
    s.put("gemini.api.key", "cli-key-0123456789");
    s.put("topic.prefix", prefix);
    s.put("topic.partitions", "2");
    s.put("application.id", prefix + "processor");
    s.put("state.dir", work.resolve("state").toString());
    s.put("http.port", "-1");
    s.putAll(s3.blobSettings(bucket));
    s.put("blob.s3.prefix", "results/");
    s.put("blob.s3.presign.ttl", "15m");
    s.put("input.s3.allowed.buckets", bucket);
    s.put("output.inline.max.bytes", "0");
    TestImages.copy(TestImages.PNG, work, "in/cat.png");
    TestImages.copy(TestImages.JPEG, work, "in/rocket.jpg");
    Path batchFile = work.resolve("batch.json");
    Path out = work.resolve("results");
    // The CLI's S3 credentials come from its environment, as AWS tools read them.
    Map<String, String> env =
        Map.of(
            "AWS_ACCESS_KEY_ID", s3.accessKey(),
            "AWS_SECRET_ACCESS_KEY", s3.secretKey(),
            "EDITSTREAM_S3_ENDPOINT", s3.endpoint().toString(),
            "EDITSTREAM_S3_REGION", s3.region(),
            "EDITSTREAM_S3_PATH_STYLE", Boolean.toString(s3.pathStyle()));

    try (Emulator emulator =
            Emulator.start(
                EmulatorConfig.defaults().withApiKey("cli-key-0123456789").withLatencyMeanMs(5));
        EditstreamProcessor processor =
            EditstreamProcessor.start(
                ProcessorConfig.from(Settings.of(withEmulator(s, emulator.baseUrl()))))) {
      assertThat(processor.awaitRunning(Duration.ofSeconds(60))).isTrue();

      CliRunner.Result submit =
          CliRunner.run(
              env,
              args(
                  prefix,
                  "submit",
                  work.resolve("in").toString(),
                  "--tenant",
                  "acme",
                  "--instruction",
                  "remove the background",
                  "--size",
                  "512",
                  "--inline-max-bytes",
                  "1k",
                  "--blob-s3",
                  "s3://" + bucket + "/inputs/",
                  "--batch-file",
                  batchFile.toString()));
      assertThat(submit.exitCode()).as(submit.toString()).isZero();
      assertThat(submit.out())
          .contains("Submitted 2 jobs")
          .contains("2 image(s) by reference in s3://" + bucket + "/inputs/");
      assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket).prefix("inputs/")).contents())
          .hasSize(2);

      CliRunner.Result listen =
          CliRunner.run(
              env,
              args(
                  prefix,
                  "listen",
                  "--batch-file",
                  batchFile.toString(),
                  "--out",
                  out.toString(),
                  "--timeout",
                  "90s"));
      assertThat(listen.exitCode()).as(listen.toString()).isZero();
      assertThat(listen.out()).contains("2 of 2 jobs done").contains("images      2 written");
    }
    for (BatchFile.Entry job : BatchFile.read(batchFile).jobs()) {
      // Named by the photo it edits (cat, rocket) and the job id's first 8 digits.
      String photo = Path.of(job.inputs().get(0)).getFileName().toString().replaceAll("\\..*", "");
      Path image =
          out.resolve(job.sku()).resolve(photo + "-" + job.jobId().substring(0, 8) + ".png");
      assertThat(image).exists();
      BufferedImage decoded = ImageIO.read(image.toFile());
      assertThat(decoded.getWidth()).isEqualTo(512);
    }
    assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket).prefix("results/")).contents())
        .as("finished images are in the bucket")
        .hasSize(2);
  }

  private static Map<String, String> withEmulator(Map<String, String> s, String url) {
    Map<String, String> m = new HashMap<>(s);
    m.put("gemini.base.url", url);
    return m;
  }

  private String[] args(String prefix, String command, String... rest) {
    return CliRunner.args(broker, registry, prefix, command, rest);
  }
}
