package io.editstream.processor;

import io.editstream.processor.concurrent.AsyncFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts the open transactions of instances that are no longer in the group (issue 17.1).
 *
 * <p>Under exactly-once, an instance killed in the middle of a transaction leaves it open. The peer
 * that takes over its tasks cannot read their changelogs and committed offsets past it, so their
 * restore waits until the broker aborts it, {@code transaction.timeout.ms} after it began (10 s
 * under Kafka Streams' exactly-once, plus the broker's check interval): measured ~8 s of a 13.5 s
 * hand-over in {@code bench handover}. A restart on the same state directory fences its own old
 * transaction at once (same process id, same transactional id); a peer has no such right, so this
 * class does what the restart would: {@link Admin#fenceProducers} on the transactional ids of the
 * threads whose instance has left the group.
 *
 * <p>Kafka Streams names each stream thread's transactional id {@code <application.id>-<process
 * id>-<thread>} and, unless {@code client.id} is set, its group member's client id {@code
 * <application.id>-<process id>-StreamThread-<thread>-consumer}, so a process id with an open
 * transaction and no member is an instance that has stopped. The open transactions are listed
 * before the group is described: an instance that holds one was a member when it began it, so if it
 * is not a member afterwards it has been removed (dead, or a zombie whose tasks are gone), and
 * fencing it is what the broker would do later anyway. Anything this cannot tell (a member with a
 * client id of another shape, a group with no members yet) leaves the transactions alone, to the
 * broker's timeout.
 *
 * <p>Runs on its own thread after every rebalance of this instance; a failure (no ACL for
 * describing transactions, say) is logged and changes nothing else.
 */
final class LeftInstanceFencer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeftInstanceFencer.class);
  private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  /** A pass runs again while the group settles, at most this many times after a rebalance. */
  static final int PASSES = 30;

  static final Duration PASS_INTERVAL = Duration.ofSeconds(1);

  private final Admin admin;
  private final String applicationId;
  private final Pattern transactionalId;
  private final Pattern memberClientId;
  private final Duration timeout;
  private final Counter fenced;
  private final ScheduledExecutorService runner;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean warnedShape = new AtomicBoolean();

  /** What one pass saw and did. */
  record Pass(List<String> fenced, boolean groupSettled) {}

  LeftInstanceFencer(Admin admin, String applicationId, Duration timeout, MeterRegistry meters) {
    this.admin = admin;
    this.applicationId = applicationId;
    this.transactionalId =
        Pattern.compile("^" + Pattern.quote(applicationId) + "-(" + UUID + ")-\\d+$");
    this.memberClientId =
        Pattern.compile(
            "^" + Pattern.quote(applicationId) + "-(" + UUID + ")-StreamThread-\\d+-consumer$");
    this.timeout = timeout;
    this.fenced =
        Counter.builder("editstream.transactions.fenced")
            .description(
                "Open transactions of instances that left the group, aborted so their tasks'"
                    + " new owners need not wait for transaction.timeout.ms")
            .register(meters);
    this.runner =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "editstream-left-instance-fencer");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * For {@link KafkaStreams#setStateListener}: a rebalance may have moved a stopped peer's tasks.
   */
  void onStateChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
    if (newState == KafkaStreams.State.REBALANCING) {
      request();
    }
  }

  /** Runs passes on the fencer's thread until the group is settled; coalesces repeated calls. */
  void request() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        runner.execute(() -> passes(PASSES));
      } catch (RejectedExecutionException e) {
        scheduled.set(false); // closed: the instance is stopping
      }
    }
  }

  private void passes(int left) {
    scheduled.set(false);
    Pass pass;
    try {
      pass = fenceLeftInstances();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      Throwable cause = AsyncFailure.unwrap(e);
      log.warn(
          "Could not check for open transactions of instances that left group {} ({}); tasks"
              + " taken over from a killed instance wait for its transaction.timeout.ms",
          applicationId,
          cause.toString());
      return;
    }
    if (!pass.groupSettled() && left > 1 && !scheduled.get()) {
      runner.schedule(() -> passes(left - 1), PASS_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** One pass: fences the open transactions whose instance is not a member of the group. */
  Pass fenceLeftInstances() throws InterruptedException, ExecutionException, TimeoutException {
    // Transactions first, members second (see the class comment).
    Collection<TransactionListing> open =
        admin
            .listTransactions(
                new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
            .all()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    TreeMap<String, String> processByTransaction = new TreeMap<>();
    for (TransactionListing t : open) {
      Matcher m = transactionalId.matcher(t.transactionalId());
      if (m.matches()) {
        processByTransaction.put(t.transactionalId(), m.group(1));
      }
    }
    ConsumerGroupDescription group;
    try {
      group =
          admin
              .describeConsumerGroups(List.of(applicationId))
              .describedGroups()
              .get(applicationId)
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) {
        return new Pass(List.of(), false); // the first instance has not joined yet
      }
      throw e;
    }
    boolean settled = group.groupState() == GroupState.STABLE && !group.members().isEmpty();
    if (processByTransaction.isEmpty()) {
      return new Pass(List.of(), settled);
    }
    Set<String> live = new HashSet<>();
    for (MemberDescription member : group.members()) {
      Matcher m = memberClientId.matcher(member.clientId());
      if (!m.matches()) {
        if (warnedShape.compareAndSet(false, true)) {
          log.info(
              "Group {} has a member with client id '{}', not Kafka Streams' default shape (is"
                  + " kafka.client.id set?): open transactions of killed instances are left to"
                  + " end after transaction.timeout.ms",
              applicationId,
              member.clientId());
        }
        return new Pass(List.of(), true);
      }
      live.add(m.group(1));
    }
    if (live.isEmpty()) {
      // No member yet (this instance has not joined): nothing tells a stopped instance apart.
      return new Pass(List.of(), false);
    }
    List<String> orphans = new ArrayList<>();
    processByTransaction.forEach(
        (transaction, process) -> {
          if (!live.contains(process)) {
            orphans.add(transaction);
          }
        });
    if (orphans.isEmpty()) {
      return new Pass(List.of(), settled);
    }
    admin.fenceProducers(orphans).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    fenced.increment(orphans.size());
    log.info(
        "Aborted {} open transaction(s) of instance(s) no longer in group {} ({}), so the tasks"
            + " they held need not wait for transaction.timeout.ms",
        orphans.size(),
        applicationId,
        String.join(", ", orphans));
    return new Pass(List.copyOf(orphans), settled);
  }

  @Override
  public void close() {
    runner.shutdownNow();
  }
}
