package io.editstream.bench;

import io.editstream.bench.batch.BatchLaneBench;
import io.editstream.bench.blob.BlobStoreBench;
import io.editstream.bench.cache.CacheHitBench;
import io.editstream.bench.memory.MemoryBench;
import io.editstream.bench.quota.QuotaBenchmark;
import io.editstream.bench.sidebyside.SideBySideBench;
import io.editstream.bench.throughput.ThroughputBench;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar bench/target/editstream-bench.jar <benchmark> [--quick]}: runs one benchmark on
 * the real broker, registry and emulator, prints its table and writes it to docs/benchmarks.md.
 */
@Command(
    name = "editstream-bench",
    mixinStandardHelpOptions = true,
    description = "Editstream benchmarks (commands, not tests). Run from the repository root.",
    subcommands = {
      ThroughputBench.class,
      CacheHitBench.class,
      QuotaBenchmark.class,
      SideBySideBench.class,
      io.editstream.bench.sidebyside.HandoverBench.class,
      MemoryBench.class,
      BlobStoreBench.class,
      BatchLaneBench.class
    })
public final class Bench implements Runnable {

  /** Options every benchmark takes. */
  public static final class Common {
    @Option(
        names = "--quick",
        description = "A smaller workload for a smoke run (numbers are noisier).")
    public boolean quick;

    @Option(
        names = "--doc",
        defaultValue = "docs/benchmarks.md",
        description =
            "Markdown file whose section for this benchmark is rewritten (default: ${DEFAULT-VALUE}).")
    public Path doc;

    @Option(names = "--no-doc", description = "Print only; do not touch the markdown file.")
    public boolean noDoc;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  public static void main(String[] args) {
    BenchEnv.trustAvroPackages();
    int code = new CommandLine(new Bench()).execute(args);
    // The in-JVM broker and client threads are not daemons; shutdown hooks stop the registry.
    System.exit(code);
  }
}
