package io.editstream.processor.throttle;

import io.editstream.schema.Priority;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Orders waiting jobs of one pool: every {@link Priority#INTERACTIVE} job before any {@link
 * Priority#BULK} job, and within a priority weighted fair queuing across tenants (start-time fair
 * queuing: each job gets a virtual start tag {@code max(V, previous finish of its tenant)} and a
 * finish tag {@code start + 1/weight}; the job with the smallest start tag goes next and {@code V}
 * becomes its start tag).
 *
 * <p>Callers may rely on: a tenant that becomes active gets start tag {@code V}, so however long
 * another tenant's backlog is, its job waits for at most about one job of each other active tenant
 * (one fair share) once it is in the queue of its priority. Over a backlog, tenants are served in
 * proportion to their weights. Within a tenant, jobs keep their order.
 *
 * <p>Items must be distinct ({@code equals}); {@code offer}, {@code poll}, {@code remove} take
 * O(log tenants), {@code peek} O(1). The total number of queued items is bounded by the capacity.
 * Not thread-safe (the {@link Throttle} guards it).
 *
 * @param <T> the queued item, e.g. a job id
 */
final class FairScheduler<T> {
  private final Map<String, Double> weights;
  private final double defaultWeight;
  private final int capacity;
  private final Map<Priority, PriorityClass> classes = new EnumMap<>(Priority.class);
  private final Map<T, TenantQueue> index = new HashMap<>();

  /**
   * @param weights per-tenant weights (positive); tenants not listed get {@code defaultWeight}
   * @param defaultWeight weight of unlisted tenants, positive
   * @param capacity maximum number of queued items, positive
   */
  public FairScheduler(Map<String, Double> weights, double defaultWeight, int capacity) {
    Objects.requireNonNull(weights, "weights");
    weights.forEach((tenant, w) -> requireWeight("weight of tenant '" + tenant + "'", w));
    requireWeight("defaultWeight", defaultWeight);
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1 but was " + capacity);
    }
    this.weights = Map.copyOf(weights);
    this.defaultWeight = defaultWeight;
    this.capacity = capacity;
    for (Priority p : Priority.values()) {
      classes.put(p, new PriorityClass());
    }
  }

  /** Equal weights for everyone. */
  public static <T> FairScheduler<T> withEqualWeights(int capacity) {
    return new FairScheduler<>(Map.of(), 1.0, capacity);
  }

  /** Queues {@code item}; false if it is already queued or the scheduler is full. */
  public boolean offer(String tenant, Priority priority, T item) {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(item, "item");
    if (index.size() >= capacity || index.containsKey(item)) {
      return false;
    }
    TenantQueue queue = classes.get(priority).enqueue(tenant, item);
    index.put(item, queue);
    return true;
  }

  /** The item {@link #poll} would return, without removing it. */
  public Optional<T> peek() {
    for (PriorityClass c : classes.values()) {
      if (!c.active.isEmpty()) {
        return Optional.of(c.active.first().head());
      }
    }
    return Optional.empty();
  }

  /** Removes and returns the next item to dispatch. */
  public Optional<T> poll() {
    for (PriorityClass c : classes.values()) {
      if (!c.active.isEmpty()) {
        T item = c.dequeue();
        index.remove(item);
        return Optional.of(item);
      }
    }
    return Optional.empty();
  }

  /** Removes a queued item (e.g. a cancelled job); false if it was not queued. */
  public boolean remove(T item) {
    TenantQueue queue = index.remove(item);
    if (queue == null) {
      return false;
    }
    queue.owner.removeItem(queue, item);
    return true;
  }

  public int size() {
    return index.size();
  }

  /** Items queued for {@code tenant}, over both priorities. */
  public int size(String tenant) {
    int n = 0;
    for (PriorityClass c : classes.values()) {
      TenantQueue q = c.tenants.get(tenant);
      n += q == null ? 0 : q.items.size();
    }
    return n;
  }

  public boolean isEmpty() {
    return index.isEmpty();
  }

  /** Tenant states kept (active or with fairness history), for tests of boundedness. */
  int trackedTenants() {
    int n = 0;
    for (PriorityClass c : classes.values()) {
      n += c.tenants.size();
    }
    return n;
  }

  private double weight(String tenant) {
    return weights.getOrDefault(tenant, defaultWeight);
  }

  private static void requireWeight(String field, Double w) {
    if (w == null || !(w > 0) || w.isInfinite()) {
      throw new IllegalArgumentException(field + " must be a positive number but was " + w);
    }
  }

  /** The tenants of one priority, ordered by the start tag of their head item. */
  private final class PriorityClass {
    private final Map<String, TenantQueue> tenants = new HashMap<>();
    private final TreeSet<TenantQueue> active =
        new TreeSet<>(
            Comparator.comparingDouble((TenantQueue q) -> q.headStart())
                .thenComparingLong(q -> q.activatedSeq));
    private double virtualTime;
    private long activations;

    TenantQueue enqueue(String tenant, T item) {
      TenantQueue q = tenants.computeIfAbsent(tenant, t -> new TenantQueue(this, t, weight(t)));
      double start = Math.max(virtualTime, q.lastFinish);
      q.lastFinish = start + 1 / q.weight;
      if (q.items.isEmpty()) {
        q.items.put(item, start);
        q.activatedSeq = activations++;
        active.add(q);
      } else {
        q.items.put(item, start);
      }
      return q;
    }

    T dequeue() {
      TenantQueue q = active.pollFirst();
      Iterator<Map.Entry<T, Double>> it = q.items.entrySet().iterator();
      Map.Entry<T, Double> head = it.next();
      it.remove();
      virtualTime = Math.max(virtualTime, head.getValue());
      if (!q.items.isEmpty()) {
        active.add(q);
      }
      forgetIdle(q);
      if (tenants.size() > 2 * active.size() + 64) {
        // Amortized sweep so a stream of one-off tenants cannot grow the map without bound.
        tenants.values().removeIf(t -> t.items.isEmpty() && t.lastFinish <= virtualTime);
      }
      return head.getKey();
    }

    void removeItem(TenantQueue q, T item) {
      boolean wasHead = q.head().equals(item);
      if (wasHead) {
        active.remove(q);
      }
      q.items.remove(item);
      if (wasHead && !q.items.isEmpty()) {
        active.add(q);
      }
      forgetIdle(q);
    }

    private void forgetIdle(TenantQueue q) {
      // An idle tenant whose tags are behind V carries no history worth keeping.
      if (q.items.isEmpty() && q.lastFinish <= virtualTime) {
        tenants.remove(q.tenant);
      }
    }
  }

  /** One tenant's items in one priority, in arrival order, each with its start tag. */
  private final class TenantQueue {
    final PriorityClass owner;
    final String tenant;
    final double weight;
    final LinkedHashMap<T, Double> items = new LinkedHashMap<>();
    double lastFinish;
    long activatedSeq;

    TenantQueue(PriorityClass owner, String tenant, double weight) {
      this.owner = owner;
      this.tenant = tenant;
      this.weight = weight;
    }

    T head() {
      return items.keySet().iterator().next();
    }

    double headStart() {
      return items.values().iterator().next();
    }
  }
}
