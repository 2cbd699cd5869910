package io.editstream.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallRateChartTest {

  @Test
  void shouldWriteAPngOfTheConfiguredSize(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/chart.png");

    new CallRateChart("calls", 10, 1000)
        .line("a", new double[] {0, 600, 990, 1000}, false)
        .line("a 429", new double[] {0, 0, 60, 0}, true)
        .line("empty", new double[0], false)
        .marker("kill -9 a", 0.3)
        .writePng(file);

    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image).isNotNull();
    assertThat(image.getWidth()).isEqualTo(1100);
    assertThat(image.getHeight()).isEqualTo(520);
  }
}
