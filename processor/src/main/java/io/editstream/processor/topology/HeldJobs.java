package io.editstream.processor.topology;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One task's jobs parked because their tenant is held ({@link TenantHolds}): not queued for quota,
 * no model call, until the tenant is released. Stream thread only. A parked job may have ended
 * meanwhile (deadline, cancel); the caller skips those when it queues the released ones.
 */
final class HeldJobs {
  private final Map<String, Set<String>> byTenant = new LinkedHashMap<>();
  private long seenVersion = -1;
  private int size;

  /** Parks a job of {@code tenant} (again: a job parked twice is released once). */
  void park(String tenant, String jobId) {
    if (byTenant.computeIfAbsent(tenant, t -> new LinkedHashSet<>()).add(jobId)) {
      size++;
    }
  }

  /**
   * The parked jobs whose tenant is no longer held, in the order they were parked, and forgets
   * them. Cheap when nothing changed since the last call: it only compares {@link
   * TenantHolds#version}.
   */
  List<String> released(TenantHolds holds) {
    if (byTenant.isEmpty()) {
      return List.of();
    }
    long version = holds.version(); // before the look, so a change during it is seen next time
    if (version == seenVersion) {
      return List.of();
    }
    seenVersion = version;
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, Set<String>>> it = byTenant.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<String, Set<String>> e = it.next();
      if (!holds.isHeld(e.getKey())) {
        out.addAll(e.getValue());
        size -= e.getValue().size();
        it.remove();
      }
    }
    return out;
  }

  /** Jobs parked now. */
  int size() {
    return size;
  }
}
