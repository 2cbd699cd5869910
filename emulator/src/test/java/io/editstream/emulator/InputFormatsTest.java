package io.editstream.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * WebP and HEIC photos are decoded and edited like PNG and JPEG, not drawn as a placeholder: the
 * edit of a real photo in each format looks like the edit of the same photo as a PNG.
 */
class InputFormatsTest {

  private static final String INSTRUCTION = "warmer light";

  static Emulator emulator;
  static BufferedImage pngEdit;

  @BeforeAll
  static void start() {
    emulator = Emulator.start(EmulatorConfig.defaults().withLatencyMeanMs(5));
    pngEdit = edit(TestImages.resource("coffee.png"), "image/png");
  }

  @AfterAll
  static void stop() {
    emulator.close();
  }

  private static BufferedImage edit(byte[] image, String mimeType) {
    HttpResponse<String> response =
        Http.send(Http.generate(emulator, Http.editBody(INSTRUCTION, image, mimeType)));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = Http.json(response);
    return TestImages.decode(Http.image(body));
  }

  /** Mean absolute difference per channel (0..255) over the picture area of two edits. */
  private static double difference(BufferedImage a, BufferedImage b) {
    assertThat(a.getWidth()).isEqualTo(b.getWidth());
    assertThat(a.getHeight()).isEqualTo(b.getHeight());
    // The picture sits in the upper part; the banner with text below is the same for both.
    int w = a.getWidth();
    int h = a.getHeight() * 3 / 4;
    long sum = 0;
    long n = 0;
    for (int y = 0; y < h; y += 2) {
      for (int x = 0; x < w; x += 2) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
          n++;
        }
      }
    }
    return (double) sum / n;
  }

  @Test
  void shouldEditAWebpPhotoLikeThePngOfTheSamePhoto() {
    BufferedImage webpEdit = edit(TestImages.resource("coffee.webp"), "image/webp");

    assertThat(webpEdit.getWidth()).isEqualTo(1024);
    assertThat(webpEdit.getHeight()).isEqualTo(683); // 600x400 keeps its 3:2 ratio
    assertThat(difference(webpEdit, pngEdit)).isLessThan(6);
  }

  @Test
  void shouldEditAHeicPhotoLikeThePngOfTheSamePhoto() {
    assertThat(HeicDecoder.unavailable()).isEmpty();

    BufferedImage heicEdit = edit(TestImages.resource("coffee.heic"), "image/heic");

    assertThat(heicEdit.getWidth()).isEqualTo(1024);
    assertThat(heicEdit.getHeight()).isEqualTo(683); // the size in the HEIF's boxes, 600x400
    assertThat(difference(heicEdit, pngEdit)).isLessThan(6);
  }

  @Test
  void shouldReadTheSizeOfAHeicFromItsBoxes() {
    assertThat(HeifHeader.dimensions(TestImages.resource("coffee.heic")))
        .hasValue(new java.awt.Dimension(600, 400));
    assertThat(HeifHeader.dimensions(TestImages.heicHeader())).isEmpty();
  }

  @Test
  void shouldDecodeAHeicToThePhotosPixels() {
    BufferedImage heic = HeicDecoder.decode(TestImages.resource("coffee.heic"));
    BufferedImage png = TestImages.decode(TestImages.resource("coffee.png"));

    assertThat(heic.getWidth()).isEqualTo(600);
    assertThat(heic.getHeight()).isEqualTo(400);
    assertThat(pixelDifference(heic, png)).as("mean difference per channel").isLessThan(8);
    assertThat(HeicDecoder.decode(TestImages.heicHeader())).isNull();
  }

  @Test
  void shouldAssembleAHeicWhoseImageIsAGridOfTiles() {
    byte[] grid = TestImages.resource("coffee-grid.heic");
    BufferedImage png = TestImages.decode(TestImages.resource("coffee.png"));

    BufferedImage decoded = HeicDecoder.decode(grid);

    assertThat(HeifHeader.dimensions(grid)).hasValue(new java.awt.Dimension(1200, 400));
    assertThat(decoded.getWidth()).isEqualTo(1200);
    assertThat(decoded.getHeight()).isEqualTo(400);
    assertThat(pixelDifference(decoded.getSubimage(0, 0, 600, 400), png)).isLessThan(8);
    assertThat(pixelDifference(decoded.getSubimage(600, 0, 600, 400), png)).isLessThan(8);
    BufferedImage edit = edit(grid, "image/heic");
    assertThat(edit.getWidth()).isEqualTo(1024);
    assertThat(edit.getHeight()).isEqualTo(341); // 3:1, the grid's size, not a tile's
  }

  @Test
  void shouldCropAnAssembledGridToItsOutputSize() {
    byte[] grid = TestImages.resource("coffee-grid-cropped.heic");
    BufferedImage png = TestImages.decode(TestImages.resource("coffee.png"));

    BufferedImage decoded = HeicDecoder.decode(grid);

    assertThat(decoded.getWidth()).isEqualTo(1100);
    assertThat(decoded.getHeight()).isEqualTo(400);
    assertThat(
            pixelDifference(decoded.getSubimage(600, 0, 500, 400), png.getSubimage(0, 0, 500, 400)))
        .isLessThan(8);
  }

  /** Mean absolute difference per channel (0..255) over two images of one size. */
  private static double pixelDifference(BufferedImage a, BufferedImage b) {
    long sum = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        int p = a.getRGB(x, y);
        int q = b.getRGB(x, y);
        for (int shift = 0; shift <= 16; shift += 8) {
          sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
        }
      }
    }
    return (double) sum / (3.0 * a.getWidth() * a.getHeight());
  }

  @Test
  void shouldDecodeHeicAgainAndAgainWithoutCorruptingNativeMemory() {
    // FFmpeg's scaler writes past a tight buffer; freed memory is only checked once Java frees
    // its pointers, so decode repeatedly and let the collector run in between.
    byte[] heic = TestImages.resource("coffee.heic");
    for (int i = 0; i < 12; i++) {
      assertThat(HeicDecoder.decode(heic)).as("decode %d", i).isNotNull();
      System.gc();
    }
  }

  @Test
  void shouldDrawAPlaceholderOnlyForAnImageThatCannotBeDecoded() {
    // The control: a WebP whose header is valid but whose pixels are not looks nothing like it.
    BufferedImage broken = edit(TestImages.webpHeader(600, 400), "image/webp");

    assertThat(difference(broken, pngEdit)).isGreaterThan(30);
  }
}
