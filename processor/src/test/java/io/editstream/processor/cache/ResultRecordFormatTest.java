package io.editstream.processor.cache;

import static io.editstream.processor.cache.CacheFixtures.result;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResultRecordFormatTest {

  @Test
  void shouldRoundTripReferencesWithoutImageBytes() {
    CachedResult withBytes = result("a", 100);
    CachedResult decoded = ResultRecordFormat.decode(ResultRecordFormat.encode(withBytes));

    assertThat(decoded).isEqualTo(withBytes.withInlineDataAtMost(0));
    assertThat(decoded.images().get(0).getData()).isNull();
    assertThat(decoded.images().get(0).getUri()).isEqualTo("file:/blobs/a.png");
  }

  @Test
  void shouldWriteTheDocumentedVersionOneFields() throws Exception {
    JsonNode json = new ObjectMapper().readTree(ResultRecordFormat.encode(result("a", 100)));

    assertThat(json.get("formatVersion").asInt()).isEqualTo(1);
    assertThat(json.get("model").asText()).isEqualTo("gemini-3.1-flash-image-preview");
    assertThat(json.get("modelVersion").asText()).isEqualTo("v-a");
    assertThat(json.get("text").asText()).isEqualTo("text of a");
    assertThat(json.get("createdAtMs").asLong()).isEqualTo(CacheFixtures.CREATED.toEpochMilli());
    assertThat(json.get("usage").get("outputImageTokens").asInt()).isEqualTo(1120);
    JsonNode image = json.get("images").get(0);
    assertThat(image.get("uri").asText()).isEqualTo("file:/blobs/a.png");
    assertThat(image.get("sizeBytes").asLong()).isEqualTo(1000);
    assertThat(image.has("data")).isFalse();
  }

  @Test
  void shouldIgnoreUnknownFieldsAndRejectUnknownVersions() {
    String v1 = new String(ResultRecordFormat.encode(result("a")), StandardCharsets.UTF_8);
    String extended = v1.replaceFirst("\\{", "{\"addedLater\":true,");
    assertThat(ResultRecordFormat.decode(extended.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(result("a"));

    String v2 = v1.replace("\"formatVersion\":1", "\"formatVersion\":2");
    assertThatThrownBy(() -> ResultRecordFormat.decode(v2.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("formatVersion");
  }

  @Test
  void shouldNameWhatIsWrongWithABadRecord() {
    assertThatThrownBy(() -> ResultRecordFormat.decode("not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class);
    String noModel =
        new String(ResultRecordFormat.encode(result("a")), StandardCharsets.UTF_8)
            .replace("\"model\":\"gemini-3.1-flash-image-preview\"", "\"model\":null");
    assertThatThrownBy(() -> ResultRecordFormat.decode(noModel.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model");
  }
}
