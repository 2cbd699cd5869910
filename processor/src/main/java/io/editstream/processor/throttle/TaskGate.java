package io.editstream.processor.throttle;

import io.editstream.schema.Priority;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One task's door to the {@link DispatchGate} ({@link DispatchGate#register}): the topology submits
 * a job's demand, takes the jobs granted a permit and a concurrency slot, and settles each granted
 * job once its call is over (or it is not started after all).
 *
 * <p>Callers may rely on: {@link #take} only returns this task's own jobs, each at most once per
 * submission; a job granted by {@link #take} holds a slot and a permit until {@link #settle} is
 * called for it (from any thread), or this door is {@link #close}d before it was taken.
 */
public interface TaskGate {

  /**
   * What a job asks of the gate.
   *
   * @param jobId the job, unique within the task
   * @param model the model whose pools admit it
   * @param tenant for fair sharing ("" = no tenant)
   * @param priority INTERACTIVE jobs go before BULK ones
   * @param cost what the job takes from the pool ({@link JobCost#of})
   * @param provider the provider the job names ({@code editstream.provider}), or null; a name that
   *     is not a configured provider is ignored here (the provider router fails the job)
   */
  record Demand(
      String jobId, String model, String tenant, Priority priority, Cost cost, String provider) {
    public Demand {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(tenant, "tenant");
      Objects.requireNonNull(priority, "priority");
      Objects.requireNonNull(cost, "cost");
    }
  }

  /**
   * A job that may start its call now.
   *
   * @param jobId the job
   * @param route the provider whose pool admitted it, which the call should go to first; null when
   *     there is only one provider (any provider may serve it)
   * @param dailyKey the pool and Pacific day whose RPD the call counts against, for the task to
   *     persist with the dispatch; null when that pool has no RPD
   * @param cost the job's cost as submitted
   */
  record Grant(String jobId, String route, PoolDay dailyKey, Cost cost) {}

  /**
   * Queues a job for its model's pools. {@code ACCEPTED} or {@code DUPLICATE}: it waits for quota;
   * {@code QUEUE_FULL}: try again later; {@code TOO_LARGE}: no pool could ever admit it.
   *
   * @throws IllegalStateException if this door is closed
   */
  Throttle.Submission submit(Demand demand);

  /**
   * Hands out (and forgets) this task's jobs that have a slot and a permit now. The caller must
   * start each one's call, or {@link #settle} it with {@link Settlement#refund()}.
   */
  List<Grant> take();

  /**
   * The call of a job from {@link #take} leaves for the model now (any thread): its admission
   * counts from now in the pools' sliding logs ({@link QuotaPool#started}). Optional: without it
   * the admission counts from the grant. Unknown or settled jobs are ignored.
   */
  void started(String jobId);

  /**
   * A job from {@link #take} is over (any thread): frees its slot and settles its permit. Unknown
   * or already settled jobs are ignored.
   */
  void settle(String jobId, Settlement settlement);

  /**
   * What this instance knows of its pools' recent admissions, for the task to write down with its
   * dispatches ({@code origin|provider|model|epochSecond} → requests admitted in that second): its
   * own, and what it restored of earlier owners. A later owner of the task restores it (see {@link
   * DispatchGate#register(String, Map, Map)}).
   */
  Map<String, Long> history();

  /**
   * The task closes (revocation, shutdown): its share of the pools goes first, with the calls it
   * started ({@code started}, by pool and day: they move with the task), then its queued jobs and
   * its grants not yet taken (their slots and permits go back). Calls in flight are settled as
   * usual. Closing twice is harmless.
   */
  void close(Map<PoolDay, Long> started);
}
