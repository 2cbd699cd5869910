package io.editstream.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.registry.InMemorySchemaRegistryClient;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditResult;
import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import io.editstream.schema.TenantHold;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract evolves BACKWARD compatibly: the current classes read everything any earlier version
 * wrote. {@code contract-history/<Type>/v<N>.avsc} snapshots every released version; add the new
 * one there when a schema changes.
 */
class ContractEvolutionTest {

  static Stream<Arguments> releasedVersions() throws IOException, URISyntaxException {
    List<Class<? extends SpecificRecord>> types =
        List.of(EditJob.class, EditResult.class, EditFailure.class, TenantHold.class);
    Stream.Builder<Arguments> versions = Stream.builder();
    for (Class<? extends SpecificRecord> type : types) {
      URL dir =
          ContractEvolutionTest.class.getResource("/contract-history/" + type.getSimpleName());
      assertThat(dir).as("history of %s", type.getSimpleName()).isNotNull();
      try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
        List<Path> snapshots = files.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
        assertThat(snapshots).as("snapshots of %s", type.getSimpleName()).isNotEmpty();
        snapshots.forEach(p -> versions.add(Arguments.of(type, p.getFileName().toString(), p)));
      }
    }
    return versions.build();
  }

  @ParameterizedTest(name = "{0} reads {1}")
  @MethodSource("releasedVersions")
  void currentSchemaShouldReadEveryReleasedVersion(
      Class<? extends SpecificRecord> type, String version, Path snapshot) throws IOException {
    Schema current = new org.apache.avro.specific.SpecificData().getSchema(type);
    Schema released = new Schema.Parser().parse(snapshot.toFile());

    var result = SchemaCompatibility.checkReaderWriterCompatibility(current, released).getResult();

    assertThat(result.getCompatibility())
        .as("%s cannot read %s: %s", type.getSimpleName(), version, result.getIncompatibilities())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void resultsAndFailuresWithALaneShouldBeReadByTheReleaseBeforeIt() throws IOException {
    // FORWARD: a listener on the contract before the lane marker (issue 18.6) reads outcomes of a
    // processor that writes it, and simply does not see the field.
    for (String[] pair :
        new String[][] {
          {"/contract-history/EditResult/v2.avsc", "EditResult"},
          {"/contract-history/EditFailure/v4.avsc", "EditFailure"}
        }) {
      Schema before = resource(pair[0]);
      Schema current =
          pair[1].equals("EditResult") ? EditResult.getClassSchema() : EditFailure.getClassSchema();
      assertThat(before.getField("lane")).as(pair[0]).isNull();
      assertThat(current.getField("lane").defaultVal()).as(pair[1]).isEqualTo(Schema.NULL_VALUE);
      var result = SchemaCompatibility.checkReaderWriterCompatibility(before, current).getResult();
      assertThat(result.getCompatibility())
          .as("%s cannot read the current %s: %s", pair[0], pair[1], result.getIncompatibilities())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
  }

  @Test
  void aFailureWithALaneShouldReadBackByAnOldReaderWithoutIt() throws IOException {
    EditFailure failure = SampleRecords.failure("lane-1");
    failure.setLane("batch");
    var out = new java.io.ByteArrayOutputStream();
    var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.specific.SpecificDatumWriter<>(EditFailure.class).write(failure, encoder);
    encoder.flush();
    Schema v4 = resource("/contract-history/EditFailure/v4.avsc");

    var read =
        new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(
                EditFailure.getClassSchema(), v4)
            .read(
                null,
                org.apache.avro.io.DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

    assertThat(read.get("jobId")).hasToString("lane-1");
    assertThat(read.hasField("lane")).isFalse();
  }

  @Test
  void oldWriterRecordShouldReadWithDefaultsFilledIn() throws IOException {
    Schema old = resource("/evolution/EditJob-without-defaulted-fields.avsc");
    InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();
    int id = registry.register("edit-jobs-value", old);

    EditJob read =
        new AvroDeserializer<>(EditJob.class, registry)
            .deserialize("edit-jobs", OldWriter.frame(old, id, "old-1"));

    OldWriter.assertDefaultsFilled(read, "old-1");
  }

  @Test
  void oldReaderShouldReadACodeAddedAfterItAsUnknown() throws IOException {
    EditFailure failure = SampleRecords.failure("new-code-1");
    failure.setCode(io.editstream.schema.FailureCode.MODEL_BAD_RESPONSE);
    var out = new java.io.ByteArrayOutputStream();
    var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.specific.SpecificDatumWriter<>(EditFailure.class).write(failure, encoder);
    encoder.flush();
    Schema v1 = resource("/contract-history/EditFailure/v1.avsc");

    var read =
        new org.apache.avro.generic.GenericDatumReader<org.apache.avro.generic.GenericRecord>(
                EditFailure.getClassSchema(), v1)
            .read(
                null,
                org.apache.avro.io.DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

    assertThat(read.get("code")).hasToString("UNKNOWN");
    assertThat(read.get("jobId")).hasToString("new-code-1");
  }

  static Schema resource(String name) {
    try (InputStream in = ContractEvolutionTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes an EditJob the way a producer on the old schema would. */
  static final class OldWriter {
    private OldWriter() {}

    static byte[] frame(Schema old, int id, String jobId) throws IOException {
      var image =
          new org.apache.avro.generic.GenericData.Record(
              old.getField("images").schema().getElementType());
      image.put("mimeType", "image/png");
      image.put("data", java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
      image.put("uri", null);
      Schema outputSchema = old.getField("output").schema();
      var output = new org.apache.avro.generic.GenericData.Record(outputSchema);
      output.put(
          "format",
          new org.apache.avro.generic.GenericData.EnumSymbol(
              outputSchema.getField("format").schema(), "JPEG"));
      output.put(
          "size",
          new org.apache.avro.generic.GenericData.EnumSymbol(
              outputSchema.getField("size").schema(), "SIZE_4K"));
      var job = new org.apache.avro.generic.GenericData.Record(old);
      job.put("jobId", jobId);
      job.put("tenant", "acme");
      job.put("images", List.of(image));
      job.put("instruction", "remove the background");
      job.put("output", output);
      job.put("submittedAt", SampleRecords.SUBMITTED.toEpochMilli());

      var out = new java.io.ByteArrayOutputStream();
      out.write(0);
      out.write(java.nio.ByteBuffer.allocate(4).putInt(id).array());
      var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
      new org.apache.avro.generic.GenericDatumWriter<Object>(old).write(job, encoder);
      encoder.flush();
      return out.toByteArray();
    }

    static void assertDefaultsFilled(EditJob read, String jobId) {
      assertThat(read.getJobId()).isEqualTo(jobId);
      assertThat(read.getTenant()).isEqualTo("acme");
      assertThat(read.getInstruction()).isEqualTo("remove the background");
      assertThat(read.getSubmittedAt()).isEqualTo(SampleRecords.SUBMITTED);
      assertThat(read.getImages()).hasSize(1);
      assertThat(read.getImages().get(0).getData())
          .isEqualTo(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
      assertThat(read.getOutput().getFormat()).isEqualTo(ImageFormat.JPEG);
      assertThat(read.getOutput().getSize()).isEqualTo(ImageSize.SIZE_4K);
      // The fields the old writer did not know carry the reader's defaults.
      assertThat(read.getSku()).isNull();
      assertThat(read.getSteps()).isEmpty();
      assertThat(read.getModel()).isNull();
      assertThat(read.getPriority()).isEqualTo(Priority.BULK);
      assertThat(read.getBypassCache()).isFalse();
      assertThat(read.getAttributes()).isEmpty();
      assertThat(read.getImages().get(0).getSha256()).isNull();
      assertThat(read.getOutput().getAspectRatio()).isNull();
    }
  }
}
