package io.editstream.processor;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says how long a task's hand-over spends restoring its stores from their changelogs (issue 17.1).
 *
 * <p>Under exactly-once a task whose instance stopped uncleanly (kill -9), or a task that moves to
 * an instance without its state, restores its stores from the changelog before it runs; its jobs
 * wait meanwhile. This logs each restore (records, time), a progress line every {@link
 * #PROGRESS_EVERY} for a long one, and keeps the totals as meters, so an operator can tell a slow
 * hand-over from a stuck one and see which store it was.
 *
 * <p>Kafka Streams calls these methods from its restoring threads; the maps are concurrent.
 */
final class StateRestoreLog implements StateRestoreListener {
  private static final Logger log = LoggerFactory.getLogger(StateRestoreLog.class);
  static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  private record Running(long startMillis, long total, long restored, long lastLogMillis) {}

  private final Clock clock;
  private final MeterRegistry meters;
  private final Map<TopicPartition, Running> running = new ConcurrentHashMap<>();

  StateRestoreLog(Clock clock, MeterRegistry meters) {
    this.clock = clock;
    this.meters = meters;
  }

  @Override
  public void onRestoreStart(
      TopicPartition partition, String storeName, long startingOffset, long endingOffset) {
    long now = clock.millis();
    long total = Math.max(0, endingOffset - startingOffset);
    running.put(partition, new Running(now, total, 0, now));
    if (total > 0) {
      log.info(
          "Restoring store {} from {}: up to {} records (offsets {}..{})",
          storeName,
          partition,
          total,
          startingOffset,
          endingOffset);
    }
  }

  @Override
  public void onBatchRestored(
      TopicPartition partition, String storeName, long batchEndOffset, long numRestored) {
    long now = clock.millis();
    Running r =
        running.computeIfPresent(
            partition,
            (p, old) ->
                new Running(
                    old.startMillis, old.total, old.restored + numRestored, old.lastLogMillis));
    if (r != null && now - r.lastLogMillis >= PROGRESS_EVERY.toMillis()) {
      running.put(partition, new Running(r.startMillis, r.total, r.restored, now));
      log.info(
          "Restoring store {} from {}: {} of up to {} records after {} ms",
          storeName,
          partition,
          r.restored,
          r.total,
          now - r.startMillis);
    }
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String storeName, long totalRestored) {
    Running r = running.remove(partition);
    long ms = r == null ? 0 : clock.millis() - r.startMillis;
    restored(storeName).increment(totalRestored);
    restoreTime(storeName).record(Duration.ofMillis(ms));
    if (totalRestored > 0) {
      log.info(
          "Restored store {} from {}: {} records in {} ms",
          storeName,
          partition,
          totalRestored,
          ms);
    }
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String storeName, long totalRestored) {
    Running r = running.remove(partition);
    long ms = r == null ? 0 : clock.millis() - r.startMillis;
    restored(storeName).increment(totalRestored);
    log.info(
        "Restore of store {} from {} suspended (the task moved on) after {} records in {} ms",
        storeName,
        partition,
        totalRestored,
        ms);
  }

  private Counter restored(String store) {
    return Counter.builder("editstream.state.restored.records")
        .description(
            "Changelog records restored into local stores (hand-overs, restarts after kill -9)")
        .tag("store", store)
        .register(meters);
  }

  private Timer restoreTime(String store) {
    return Timer.builder("editstream.state.restore")
        .description(
            "Time a store partition spent restoring from its changelog before its task ran")
        .tag("store", store)
        .register(meters);
  }
}
