package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a person sees it: rendered by a real browser (Debian's {@code chromium}, headless),
 * after its scripts ran. Checks structure (which rows are visible, what the viewer holds) and that
 * screenshots have the window's size and show something, never exact pixels. Without chromium the
 * test is skipped, except under CI, where it fails.
 */
class HtmlReportBrowserTest {
  private static final String MISSING =
      "chromium not found: apt-get install chromium (.ci/run installs it)";
  private static final int WIDTH = 1200;
  private static final int HEIGHT = 900;
  private static final Pattern ROW = Pattern.compile("<tr class=\"job[^\"]*\"[^>]*>");

  @TempDir Path dir;
  private Path report;

  @BeforeEach
  void writeReport() throws IOException {
    Files.createDirectories(dir.resolve("in"));
    Files.createDirectories(dir.resolve("out/SKU-1"));
    png(dir.resolve("in/rocket.png"), Color.RED);
    png(dir.resolve("out/SKU-1/rocket-de-3fa2b1c4.png"), Color.BLUE);
    HtmlReport html = new HtmlReport("Editstream batch b-1");
    html.summaryLine("2 ok, 1 cached, 2 failed of 5");
    html.add(
        new HtmlReport.Row(
            "3fa2b1c4aa",
            "SKU-1",
            "ok",
            false,
            "Add a banner in de",
            "ai-studio \u00b7 gemini-3.1-flash-image-preview",
            0.0672,
            null,
            null,
            "",
            List.of("in/rocket.png"),
            List.of("out/SKU-1/rocket-de-3fa2b1c4.png")));
    html.add(
        new HtmlReport.Row(
            "77aa.replay-1",
            "SKU-2",
            "ok",
            false,
            "Add a banner in fr",
            "vertex \u00b7 gemini-3.1-flash-image-preview",
            0.0701,
            "77aa",
            null,
            "",
            List.of("in/rocket.png"),
            List.of("out/SKU-1/rocket-de-3fa2b1c4.png")));
    html.add(
        new HtmlReport.Row(
            "c0ffee",
            "SKU-3",
            "cached",
            false,
            "Add a banner in de",
            "dedup cache (no model call)",
            0.0,
            null,
            null,
            "",
            List.of("in/photo.HEIC"),
            List.of("out/SKU-1/rocket-de-3fa2b1c4.png")));
    html.add(
        new HtmlReport.Row(
            "f1",
            "SKU-4",
            "URI_NOT_ALLOWED",
            true,
            "Remove the background",
            null,
            null,
            null,
            "Put the image below the processor's input.file.root",
            "permanent, 0 attempt(s): not allowed",
            List.of("in/rocket.png"),
            List.of()));
    html.add(
        new HtmlReport.Row(
            "f2",
            "SKU-5",
            "QUOTA_EXHAUSTED",
            true,
            "Remove the background",
            null,
            null,
            null,
            "Retryable: editstream replay --code QUOTA_EXHAUSTED",
            "retryable, 5 attempt(s): 429",
            List.of("in/rocket.png"),
            List.of()));
    report = dir.resolve("report.html");
    html.write(report);
  }

  @Test
  void shouldShowOnlyFailedRowsAfterTheStatusFilterRan() throws Exception {
    String dom = dumpDom("#status=failed");

    List<String> visible = rows(dom, false);
    assertThat(visible)
        .hasSize(2)
        .allSatisfy(row -> assertThat(row).contains("data-outcome=\"failed\""));
    assertThat(rows(dom, true)).hasSize(3);
    assertThat(dom).contains("2 of 5 jobs");
  }

  @Test
  void shouldShowEveryRowWithoutAFilterAndSortByCostWhenAsked() throws Exception {
    String dom = dumpDom("#sort=cost&order=desc");

    List<String> visible = rows(dom, false);
    assertThat(visible).hasSize(5);
    List<String> jobs = new ArrayList<>();
    for (String row : visible) {
      Matcher m = Pattern.compile("data-job=\"([^\"]+)\"").matcher(row);
      assertThat(m.find()).isTrue();
      jobs.add(m.group(1));
    }
    // Highest cost first, jobs without an estimate last.
    assertThat(jobs.subList(0, 3)).containsExactly("77aa.replay-1", "3fa2b1c4aa", "c0ffee");
    assertThat(dom).contains("5 of 5 jobs");
  }

  @Test
  void shouldOpenTheBeforeAfterViewerLargeWhenAsked() throws Exception {
    String dom = dumpDom("#view=3fa2b1c4aa");

    Matcher dialog =
        Pattern.compile("(?s)<dialog id=\"viewer\"([^>]*)>(.*?)</dialog>").matcher(dom);
    assertThat(dialog.find()).isTrue();
    assertThat(dialog.group(1)).contains("open");
    assertThat(dialog.group(2))
        .containsPattern("id=\"viewer-before\"><img src=\"in/rocket.png\"")
        .containsPattern("id=\"viewer-after\"><img src=\"out/SKU-1/rocket-de-3fa2b1c4.png\"")
        .contains("SKU-1");

    BufferedImage shot = screenshot("#view=3fa2b1c4aa");
    // The enlarged "after" image (blue) covers much more than a 160 px thumbnail would.
    double blue = share(shot, c -> c.getBlue() > 180 && c.getRed() < 80 && c.getGreen() < 80);
    double red = share(shot, c -> c.getRed() > 180 && c.getBlue() < 80 && c.getGreen() < 80);
    double thumbnail = 160.0 * 160 / (WIDTH * HEIGHT);
    assertThat(blue).as("share of the after image").isGreaterThan(4 * thumbnail);
    assertThat(red).as("share of the before image").isGreaterThan(4 * thumbnail);
  }

  @Test
  void shouldRenderANonBlankPageWithThumbnailsAndAHeicPlaceholder() throws Exception {
    String dom = dumpDom("");
    assertThat(dom)
        .contains("HEIC photo")
        .contains("no image")
        .contains("replay of <code>77aa</code>")
        .contains("Next step:")
        .contains("$0.0672")
        .contains("Cost of these jobs: $0.1373");

    BufferedImage shot = screenshot("");
    assertThat(shot.getWidth()).isEqualTo(WIDTH);
    assertThat(shot.getHeight()).isEqualTo(HEIGHT);
    int background = shot.getRGB(1, 1);
    double drawn = share(shot, c -> c.getRGB() != background);
    assertThat(drawn).as("share of pixels not background").isGreaterThan(0.05);
    // Thumbnails are drawn: red (before) and blue (after) areas exist but are small.
    double blue = share(shot, c -> c.getBlue() > 180 && c.getRed() < 80 && c.getGreen() < 80);
    assertThat(blue).isGreaterThan(0.001).isLessThan(0.2);
  }

  /** Rows of the dumped DOM, visible ({@code hidden == false}) or hidden. */
  private static List<String> rows(String dom, boolean hidden) {
    List<String> out = new ArrayList<>();
    Matcher m = ROW.matcher(dom);
    while (m.find()) {
      if (m.group().contains(" hidden") == hidden) {
        out.add(m.group());
      }
    }
    return out;
  }

  private static double share(BufferedImage image, java.util.function.Predicate<Color> p) {
    long n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if (p.test(new Color(image.getRGB(x, y)))) {
          n++;
        }
      }
    }
    return (double) n / ((long) image.getWidth() * image.getHeight());
  }

  private String dumpDom(String fragment) throws Exception {
    return chromium("--dump-dom", report.toUri() + fragment);
  }

  private BufferedImage screenshot(String fragment) throws Exception {
    Path png = dir.resolve("shot-" + System.nanoTime() + ".png");
    chromium(
        "--screenshot=" + png, "--window-size=" + WIDTH + "," + HEIGHT, report.toUri() + fragment);
    assertThat(png).as("screenshot").exists();
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as("decodable screenshot").isNotNull();
    return image;
  }

  private String chromium(String... args) throws Exception {
    Optional<Path> binary = onPath("chromium");
    if (binary.isEmpty() && System.getenv("CI") != null) {
      fail(MISSING + "; CI must not skip the report's browser test");
    }
    assumeTrue(binary.isPresent(), MISSING);
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.get().toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--user-data-dir=" + Files.createTempDirectory(dir, "profile")));
    command.addAll(List.of(args));
    Path stdout = Files.createTempFile(dir, "chromium", ".out");
    Path stderr = Files.createTempFile(dir, "chromium", ".err");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish in 180 s: " + command);
    }
    String out = Files.readString(stdout, StandardCharsets.UTF_8);
    assertThat(p.exitValue())
        .as("%s%n%s", command, Files.readString(stderr, StandardCharsets.UTF_8))
        .isZero();
    return out;
  }

  private static Optional<Path> onPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    return Stream.of(path.split(File.pathSeparator))
        .map(d -> Path.of(d, name))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static void png(Path file, Color color) throws IOException {
    BufferedImage image = new BufferedImage(400, 300, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, 400, 300);
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }
}
