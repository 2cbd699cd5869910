package io.editstream.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.emulator.Emulator;
import io.editstream.emulator.EmulatorConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallRecorderTest {

  @Test
  void shouldFindTheJobMarkerInARequestBody() {
    assertThat(CallRecorder.jobId("{\"text\":\"remove it [job sbs-pc-17]\"}"))
        .isEqualTo("sbs-pc-17");
    assertThat(CallRecorder.jobId("{\"text\":\"no marker\"}")).isEmpty();
  }

  @Test
  void shouldForwardModelCallsAndRecordTheirJobAndStatus() throws Exception {
    try (Emulator emulator =
            Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(0).withRpm(1));
        CallRecorder recorder = CallRecorder.start(emulator.baseUrl())) {
      HttpClient http = HttpClient.newHttpClient();
      String body =
          "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"a text answer [job j-%d]\"}]}]}";
      int[] statuses = new int[2];
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            recorder.baseUrl()
                                + "/v1beta/models/gemini-3.1-flash-image-preview:generateContent"))
                    .header("x-goog-api-key", "k")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.formatted(i)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        statuses[i] = r.statusCode();
      }

      // The emulator allows 1 request a minute: the second is answered 429, and both pass through.
      assertThat(statuses).containsExactly(200, 429);
      List<ModelCall> calls = recorder.calls();
      assertThat(calls)
          .extracting(ModelCall::jobId, ModelCall::status)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("j-0", 200),
              org.assertj.core.groups.Tuple.tuple("j-1", 429));
      assertThat(emulator.stats().requests()).isEqualTo(2);
      assertThat(recorder.firstCallMillis()).isPositive();
    }
  }
}
