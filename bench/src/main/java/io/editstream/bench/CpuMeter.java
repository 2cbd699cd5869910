package io.editstream.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * CPU time this JVM spent between {@link #start()} and {@link #stop()}, in total and by thread
 * group. On a shared machine wall-clock rates move with other people's load; CPU per job does not
 * (much), and says what the same work would reach on idle cores.
 */
public final class CpuMeter {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Function<String, String> group;
  private Map<Long, Long> before;
  private Map<Long, String> names;
  private long processBefore;
  private long wallBefore;
  private Map<String, Long> byGroup = new LinkedHashMap<>();
  private long processNanos;
  private long wallNanos;

  /** {@code group} maps a thread name to the group it is counted in. */
  public CpuMeter(Function<String, String> group) {
    this.group = group;
  }

  public void start() {
    names = new HashMap<>();
    before = snapshot(names);
    processBefore = processCpu();
    wallBefore = System.nanoTime();
  }

  public void stop() {
    wallNanos = System.nanoTime() - wallBefore;
    processNanos = processCpu() - processBefore;
    Map<Long, String> namesAfter = new HashMap<>();
    Map<Long, Long> after = snapshot(namesAfter);
    byGroup = new LinkedHashMap<>();
    after.forEach(
        (id, cpu) -> {
          long used = cpu - before.getOrDefault(id, 0L);
          byGroup.merge(group.apply(namesAfter.get(id)), used, Long::sum);
        });
  }

  private Map<Long, Long> snapshot(Map<Long, String> names) {
    Map<Long, Long> cpu = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      long t = threads.getThreadCpuTime(info.getThreadId());
      if (t >= 0) {
        cpu.put(info.getThreadId(), t);
        names.put(info.getThreadId(), info.getThreadName());
      }
    }
    return cpu;
  }

  private static long processCpu() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  public static final String STREAM_THREAD = "processor stream thread";

  /** Groups the threads of a run with broker, processor and benchmark in one JVM. */
  public static String kafkaGroup(String name) {
    if (name == null) {
      return "other";
    }
    if (name.contains("StreamThread")) {
      return name.contains("producer") || name.contains("consumer")
          ? "processor Kafka client I/O"
          : STREAM_THREAD;
    }
    if (name.startsWith("editstream-")) {
      return "processor workers (image, encode, cache index)";
    }
    if (name.equals("main") || name.startsWith("kafka-producer-network-thread")) {
      return "benchmark (load generator, result reader)";
    }
    if (name.startsWith("emulator")) {
      return "emulator";
    }
    if (name.startsWith("data-plane")
        || name.startsWith("kafka-")
        || name.contains("Txn")
        || name.contains("coordinator")
        || name.contains("quorum")
        || name.contains("raft")
        || name.contains("Fetch")
        || name.contains("Replica")
        || name.contains("Log")) {
      return "broker (in-JVM)";
    }
    return "other (JIT, metrics, ...; GC excluded)";
  }

  /** CPU nanoseconds of the whole JVM (GC and JIT included). */
  public long processNanos() {
    return processNanos;
  }

  public long wallNanos() {
    return wallNanos;
  }

  /** CPU nanoseconds by group, of threads alive at {@link #stop()}. */
  public Map<String, Long> byGroup() {
    return byGroup;
  }
}
