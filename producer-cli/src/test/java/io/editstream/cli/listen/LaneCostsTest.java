package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.Records;
import io.editstream.schema.EditFailure;
import io.editstream.schema.EditResult;
import io.editstream.schema.FailureCode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Lanes and costs per job (issue 18.6): what listen prints and the report shows, and the saving of
 * the batch lane.
 */
class LaneCostsTest {
  private static final Pricing PRICING = new Pricing(0.5, 60.0);
  private static final byte[] PNG = {1, 2, 3};

  private static EditResult result(String id, String lane, Double cost, boolean cacheHit) {
    EditResult r = Records.result(id, "S-" + id, Map.of(), PNG, "file:///x.png", false);
    r.setLane(lane);
    r.setEstimatedCostUsd(cost);
    r.setCacheHit(cacheHit);
    return r;
  }

  @Test
  void shouldSumEachLaneAndTheSavingOfTheBatchLane() {
    List<Object> outcomes =
        List.of(
            result("o1", "online", 0.0672, false),
            result("c1", "online", 0.0, true),
            result("b1", "batch", 0.0336, false),
            result("b2", "batch", 0.0336, false),
            failure("f1", "batch"));

    LaneCosts lanes = LaneCosts.of(outcomes, PRICING);

    assertThat(lanes.online()).isEqualTo(2);
    assertThat(lanes.batch()).isEqualTo(3);
    assertThat(lanes.unknown()).isZero();
    assertThat(lanes.onlineCostUsd()).isEqualTo(0.0672);
    assertThat(lanes.batchCostUsd()).isEqualTo(0.0672);
    assertThat(lanes.batchAtOnlinePriceUsd()).isEqualTo(0.1344);
    assertThat(lanes.savingUsd()).isEqualTo(0.0672);
    assertThat(lanes.line())
        .isEqualTo(
            "online 2 ($0.0672), batch 3 ($0.0672; $0.1344 at the online price: saved $0.0672)");
  }

  @Test
  void shouldPriceABatchAnswerWithoutAnEstimateAtTheBatchShareOfTheOnlinePrice() {
    double online = PRICING.cost(300, 747);
    assertThat(LaneCosts.cost(result("o", "online", null, false), PRICING)).isEqualTo(online);
    assertThat(LaneCosts.cost(result("b", "batch", null, false), PRICING)).isEqualTo(online / 2);
    assertThat(LaneCosts.cost(result("c", "online", null, true), PRICING)).isZero();
  }

  @Test
  void shouldCountOutcomesWithoutALaneApartAndShowThemAsADash() {
    LaneCosts lanes = LaneCosts.of(List.of(result("old", null, 0.0672, false)), PRICING);
    assertThat(lanes.unknown()).isOne();
    assertThat(lanes.line())
        .isEqualTo("online 0 ($0.0672), batch 0 ($0.0000), 1 without a lane (an older processor)");
    assertThat(LaneCosts.shown(null)).isEqualTo("-");
  }

  @Test
  void listenShouldPrintTheLaneAndCostOfEveryJob() {
    BatchTracker tracker = new BatchTracker(null, java.util.Set.of(), null);
    tracker.accept(result("o1", "online", 0.0672, false));
    tracker.accept(result("b1", "batch", 0.0336, false));
    tracker.accept(failure("f1", "batch"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    ListenCommand.printJobs(new PrintStream(bytes, true, StandardCharsets.UTF_8), tracker, PRICING);

    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("  o1  sku=S-o1  ok  lane=online  $0.0672")
        .contains("  b1  sku=S-b1  ok  lane=batch  $0.0336")
        .contains("  f1  sku=S-f1  MODEL_UNAVAILABLE  lane=batch  -");
  }

  @Test
  void theReportShouldShowEachJobsLaneAndTheBatchSaving() {
    HtmlReport html = new HtmlReport("Editstream batch b-1");
    LaneCosts lanes =
        LaneCosts.of(
            List.of(result("o1", "online", 0.0672, false), result("b1", "batch", 0.0336, false)),
            PRICING);
    html.batchSaving(lanes);
    html.add(
        new HtmlReport.Row(
            "b1",
            "S-1",
            "ok",
            false,
            "x",
            "ai-studio",
            0.0336,
            null,
            null,
            "",
            List.of(),
            List.of(),
            "batch"));
    html.add(
        new HtmlReport.Row(
            "o1",
            "S-2",
            "ok",
            false,
            "x",
            "ai-studio",
            0.0672,
            null,
            null,
            "",
            List.of(),
            List.of()));

    String page = html.html();

    assertThat(page)
        .contains("<th data-sort=\"lane\">lane</th>")
        .contains("data-lane=\"batch\"")
        .contains("<td class=\"lane\">batch</td>")
        .contains("<td class=\"lane\"><span class=\"none\">&ndash;</span></td>")
        .contains(
            "<li id=\"batch-saving\">Batch saving: $0.0336 (1 batch job(s) at the online price"
                + " $0.0672, by batch $0.0336)</li>");
  }

  @Test
  void theReportShouldHaveNoSavingLineWithoutBatchJobs() {
    HtmlReport html = new HtmlReport("Editstream outcomes");
    html.batchSaving(LaneCosts.of(List.of(result("o1", "online", 0.0672, false)), PRICING));
    assertThat(html.html()).doesNotContain("batch-saving");
  }

  private static EditFailure failure(String id, String lane) {
    EditFailure f =
        Records.failure(id, "S-" + id, FailureCode.MODEL_UNAVAILABLE, true, 1, Map.of());
    f.setLane(lane);
    return f;
  }
}
