package io.editstream.processor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.editstream.processor.model.ModelIds;
import io.editstream.schema.EditJob;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** model.default and model.alias.NAME=ID: which model id a job runs on (issue 19.5). */
class ModelAliasConfigTest {

  private static final String GA = "gemini-3.1-flash-image";
  private static final String PREVIEW = "gemini-3.1-flash-image-preview";

  private static Map<String, String> minimal() {
    Map<String, String> m = new HashMap<>();
    m.put("gemini.api.key", "k-0123456789-secret");
    return m;
  }

  private static ProcessorConfig config(Map<String, String> values) {
    return ProcessorConfig.from(Settings.of(values));
  }

  private static EditJob job(String model) {
    EditJob job = new EditJob();
    job.setModel(model);
    return job;
  }

  @Test
  void shouldResolveADefaultThatIsAnAlias() {
    Map<String, String> m = minimal();
    m.put("model.default", "nano-banana-2");
    m.put("model.alias.nano-banana-2", GA);

    ModelIds ids = config(m).model().ids();

    assertThat(config(m).model().defaultModel()).isEqualTo(GA);
    assertThat(ids.resolve(null)).isEqualTo(GA);
  }

  @Test
  void shouldResolveAJobsAliasAndPassAnIdThrough() {
    Map<String, String> m = minimal();
    m.put("model.alias.nano-banana-2", GA);
    // The retired preview id as an alias: jobs that still name it run on the GA id.
    m.put("model.alias." + PREVIEW, GA);
    ModelIds ids = config(m).model().ids();

    assertThat(ids.forJob(job("nano-banana-2"))).isEqualTo(GA);
    assertThat(ids.forJob(job(PREVIEW))).isEqualTo(GA);
    assertThat(ids.forJob(job(" " + GA + " "))).isEqualTo(GA);
    assertThat(ids.forJob(job("gemini-3-pro-image-preview")))
        .isEqualTo("gemini-3-pro-image-preview");
    assertThat(ids.defaultModel()).isEqualTo(GA);
  }

  @Test
  void shouldTreatNullAndBlankAlikeAsTheDefault() {
    ModelIds ids = ModelIds.of(PREVIEW);

    assertThat(ids.resolve(null)).isEqualTo(PREVIEW);
    assertThat(ids.resolve("")).isEqualTo(PREVIEW);
    assertThat(ids.resolve("  ")).isEqualTo(PREVIEW);
  }

  @Test
  void shouldRefuseAnAliasOfAnAliasNamingTheSetting() {
    Map<String, String> m = minimal();
    m.put("model.alias.current", PREVIEW);
    m.put("model.alias." + PREVIEW, GA);

    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.alias.current")
        .hasMessageContaining("itself an alias")
        .hasMessageContaining(GA);
  }

  @Test
  void shouldRefuseABlankAliasTarget() {
    Map<String, String> m = minimal();
    m.put("model.alias.nano-banana-2", " ");

    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.alias.nano-banana-2");
  }

  @Test
  void shouldKeyQuotaPoolsByTheModelIdAnAliasNames() {
    Map<String, String> m = minimal();
    m.put("model.default", "nano-banana-2");
    m.put("model.alias.nano-banana-2", GA);
    m.put("quota.model.nano-banana-2.rpm", "100");
    m.put("quota.rpd", "500");

    ProcessorConfig.Quota quota = config(m).quota();

    assertThat(quota.defaultModel()).isEqualTo(GA);
    assertThat(quota.limitsOf(GA).rpm()).isEqualTo(100);
    assertThat(quota.limitsOf(GA).rpd()).isEqualTo(500);
    assertThat(quota.pools()).doesNotContainKey("nano-banana-2");
  }

  @Test
  void shouldRefuseTheSameLimitSetForAnAliasAndItsId() {
    Map<String, String> m = minimal();
    m.put("model.alias.nano-banana-2", GA);
    m.put("quota.model.nano-banana-2.rpm", "100");
    m.put("quota.model." + GA + ".rpm", "200");

    assertThatThrownBy(() -> config(m))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("keep one");
  }
}
