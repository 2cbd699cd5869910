package io.editstream.bench.blob;

import static io.editstream.bench.Report.num;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The side-by-side table of the {@code blob-stores} benchmark: one column per store. */
public final class BlobStoreTable {
  private BlobStoreTable() {}

  public static List<String> header(List<StoreRun> runs) {
    List<String> header = new ArrayList<>();
    header.add("");
    runs.forEach(r -> header.add("blob.store=" + r.store()));
    return header;
  }

  public static List<List<String>> rows(List<StoreRun> runs) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(row("results/s, new images", runs, r -> num(r.fresh().resultsPerSecond(), 1)));
    rows.add(row("results/s, cache hits", runs, r -> num(r.hits().resultsPerSecond(), 1)));
    rows.add(row("end to end p50 / p99, new images (ms)", runs, r -> p50p99(r.fresh())));
    rows.add(row("end to end p50 / p99, cache hits (ms)", runs, r -> p50p99(r.hits())));
    rows.add(
        row(
            "bytes stored (objects)",
            runs,
            r -> num(r.bytesStored(), 0) + " (" + num(r.objectsStored(), 0) + ")"));
    rows.add(row("results / by reference / cache hits, new images", runs, r -> counts(r.fresh())));
    rows.add(row("results / by reference / cache hits, hit phase", runs, r -> counts(r.hits())));
    rows.add(row("model calls", runs, r -> num(r.modelCalls(), 0)));
    rows.add(row("duplicate outcomes", runs, r -> String.valueOf(r.duplicateOutcomes())));
    return rows;
  }

  private static String p50p99(StoreRun.Phase p) {
    return p.answered() == 0
        ? "-"
        : num(p.endToEndMs().at(50), 0) + " / " + num(p.endToEndMs().at(99), 0);
  }

  private static String counts(StoreRun.Phase p) {
    return p.answered() + " of " + p.jobs() + " / " + p.byReference() + " / " + p.cacheHits();
  }

  private static List<String> row(
      String metric, List<StoreRun> runs, Function<StoreRun, String> f) {
    List<String> row = new ArrayList<>();
    row.add(metric);
    runs.forEach(r -> row.add(f.apply(r)));
    return row;
  }
}
