package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.CliContext;
import io.editstream.cli.EditstreamCli;
import io.editstream.cli.Records;
import io.editstream.schema.EditFailure;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

class NextStepTest {
  private static final Pattern COMMAND = Pattern.compile("editstream ([a-z]+)([^.;:)]*)");

  @ParameterizedTest
  @EnumSource(FailureCode.class)
  void shouldGiveEveryCodeAStepWhoseCommandsAndOptionsExist(FailureCode code) {
    String step = NextStep.of(code, List.of("https://img.example.com/a.png"), "b-1");
    assertThat(step).isNotBlank().doesNotContain("null");

    CommandLine cli = EditstreamCli.commandLine(CliContext.system());
    Matcher m = COMMAND.matcher(step);
    while (m.find()) {
      CommandLine sub = cli.getSubcommands().get(m.group(1));
      assertThat(sub).as("command in %s", step).isNotNull();
      Matcher option = Pattern.compile("--[a-z-]+").matcher(m.group(2));
      while (option.find()) {
        assertThat(sub.getCommandSpec().findOption(option.group()))
            .as("option %s of %s in: %s", option.group(), m.group(1), step)
            .isNotNull();
      }
    }
  }

  @Test
  void shouldNameTheSettingForTheSchemeOfTheRefusedUri() {
    assertThat(NextStep.of(FailureCode.URI_NOT_ALLOWED, List.of("file:/data/in/a.png"), null))
        .contains("input.file.root")
        .doesNotContain("input.http.allow.hosts");
    assertThat(NextStep.of(FailureCode.URI_NOT_ALLOWED, List.of("HTTPS://cdn.example/a"), null))
        .contains("input.http.allow.hosts");
    assertThat(NextStep.of(FailureCode.URI_NOT_ALLOWED, List.of("s3://bucket/a.png"), null))
        .contains("input.s3.allowed.buckets");
    assertThat(NextStep.of(FailureCode.URI_NOT_ALLOWED, List.of(), null))
        .contains("input.file.root")
        .contains("input.http.allow.hosts")
        .contains("input.s3.allowed.buckets");
  }

  @Test
  void shouldSuggestTheReplayOfTheFailuresBatchForQuotaAndOutages() {
    EditFailure failure =
        Records.failure(
            "j1", "S1", FailureCode.QUOTA_EXHAUSTED, true, 5, Map.of(BatchTracker.BATCH, "b-7"));
    assertThat(NextStep.of(failure))
        .contains("editstream replay --code QUOTA_EXHAUSTED --batch-id b-7");
    assertThat(NextStep.of(FailureCode.MODEL_UNAVAILABLE, List.of(), null))
        .contains("editstream replay --code MODEL_UNAVAILABLE")
        .doesNotContain("--batch-id");
  }

  @Test
  void shouldReadTheRefusedUriFromTheJobInsideTheFailure() {
    EditFailure failure =
        Records.failure("j1", "S1", FailureCode.URI_NOT_ALLOWED, false, 0, Map.of());
    failure
        .getJob()
        .setImages(
            List.of(
                InputImage.newBuilder()
                    .setMimeType("image/png")
                    .setUri("s3://other-bucket/a.png")
                    .build()));
    assertThat(NextStep.of(failure)).contains("input.s3.allowed.buckets");
  }

  @Test
  void shouldSayWhatToDoAboutExpiredCancelledAndUnknownModels() {
    assertThat(NextStep.of(FailureCode.EXPIRED, List.of(), null)).contains("deadline");
    assertThat(NextStep.of(FailureCode.CANCELLED, List.of(), null)).contains("editstream cancel");
    assertThat(NextStep.of(FailureCode.TENANT_SUSPENDED, List.of(), "b1"))
        .contains("editstream tenant release")
        .contains("editstream replay --code TENANT_SUSPENDED --batch-id b1 --include-permanent");
    assertThat(NextStep.of(FailureCode.MODEL_NOT_FOUND, List.of(), null))
        .contains("model.default")
        .contains("--model");
  }
}
