package io.editstream.bench.sidebyside;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG line chart of model calls per minute over time, one line per system, against the quota as a
 * dashed line. Headless: needs no display.
 */
public final class CallRateChart {
  private static final Color[] COLORS = {
    new Color(0x1b9e77), new Color(0xd95f02), new Color(0x7570b3), new Color(0xe7298a)
  };

  private final String title;
  private final double bucketSeconds;
  private final double quotaPerMinute;
  private final Map<String, double[]> lines = new LinkedHashMap<>();
  private final Map<String, Boolean> dashed = new LinkedHashMap<>();
  private final Map<String, Double> markers = new LinkedHashMap<>();

  /**
   * @param bucketSeconds width of one bucket; point i is drawn at the middle of bucket i
   * @param quotaPerMinute the quota line
   */
  public CallRateChart(String title, double bucketSeconds, double quotaPerMinute) {
    this.title = title;
    this.bucketSeconds = bucketSeconds;
    this.quotaPerMinute = quotaPerMinute;
  }

  /** A line of per-minute rates, one per bucket (see {@link Tally#perMinute}). */
  public CallRateChart line(String name, double[] perMinute, boolean thin) {
    lines.put(name, perMinute.clone());
    dashed.put(name, thin);
    return this;
  }

  /** A labelled vertical line at {@code minutes} (an event such as a kill). */
  public CallRateChart marker(String label, double minutes) {
    markers.put(label, minutes);
    return this;
  }

  /** Writes the chart as a PNG to {@code file}, creating its directory. */
  public void writePng(Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(1100)
            .height(520)
            .title(title)
            .xAxisTitle("minutes since the systems were started")
            .yAxisTitle("model calls per minute")
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setMarkerSize(0);
    int longest = 1;
    int i = 0;
    for (var e : lines.entrySet()) {
      double[] y = e.getValue();
      longest = Math.max(longest, y.length);
      if (y.length == 0) {
        continue;
      }
      double[] x = new double[y.length];
      for (int k = 0; k < y.length; k++) {
        x[k] = (k + 0.5) * bucketSeconds / 60.0;
      }
      XYSeries s = chart.addSeries(e.getKey(), x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(COLORS[i++ % COLORS.length]);
      s.setLineStyle(
          dashed.get(e.getKey())
              ? new BasicStroke(
                  1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {2f, 3f}, 0f)
              : new BasicStroke(2.2f));
    }
    double end = longest * bucketSeconds / 60.0;
    XYSeries quota =
        chart.addSeries(
            "quota (" + Math.round(quotaPerMinute) + " RPM)",
            new double[] {0, end},
            new double[] {quotaPerMinute, quotaPerMinute});
    quota.setMarker(SeriesMarkers.NONE);
    quota.setLineColor(Color.RED);
    quota.setLineStyle(
        new BasicStroke(
            1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {8f, 6f}, 0f));
    double top = quotaPerMinute * 1.08;
    for (double[] y : lines.values()) {
      for (double v : y) {
        top = Math.max(top, v * 1.08);
      }
    }
    chart.getStyler().setYAxisMax(top);
    int row = 0;
    for (var m : markers.entrySet()) {
      chart.addAnnotation(new AnnotationLine(m.getValue(), true, false));
      chart.addAnnotation(
          new AnnotationText(m.getKey(), m.getValue(), top * (0.985 - 0.045 * row++), false));
    }
    chart.getStyler().setAnnotationLineColor(Color.GRAY);
    chart.getStyler().setAnnotationTextFontColor(Color.DARK_GRAY);
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
    }
  }
}
