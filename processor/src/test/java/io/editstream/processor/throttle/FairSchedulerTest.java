package io.editstream.processor.throttle;

import static io.editstream.schema.Priority.BULK;
import static io.editstream.schema.Priority.INTERACTIVE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FairSchedulerTest {
  private final FairScheduler<String> scheduler = FairScheduler.withEqualWeights(100_000);

  @Test
  void shouldDispatchAllInteractiveBeforeAnyBulk() {
    scheduler.offer("a", BULK, "a1");
    scheduler.offer("a", BULK, "a2");
    scheduler.offer("b", INTERACTIVE, "b1");
    scheduler.offer("a", INTERACTIVE, "a3");

    assertThat(pollAll()).containsExactly("b1", "a3", "a1", "a2");
  }

  @ParameterizedTest(name = "{0} backlogged tenants")
  @ValueSource(ints = {1, 2, 5})
  void shouldDelayAnotherTenantsSingleJobByAtMostOneFairShare(int backlogged) {
    for (int t = 0; t < backlogged; t++) {
      for (int i = 0; i < 10_000; i++) {
        scheduler.offer("big" + t, BULK, "big" + t + "-" + i);
      }
    }
    for (int i = 0; i < 777; i++) {
      scheduler.poll();
    }

    scheduler.offer("small", BULK, "small-1");

    // One round: at most one job of each backlogged tenant goes first.
    List<String> next = new ArrayList<>();
    for (int i = 0; i <= backlogged; i++) {
      next.add(scheduler.poll().orElseThrow());
    }
    assertThat(next).contains("small-1");
  }

  @Test
  void shouldShareByWeightOverABacklog() {
    FairScheduler<String> weighted = new FairScheduler<>(Map.of("gold", 3.0), 1.0, 10_000);
    for (int i = 0; i < 1000; i++) {
      weighted.offer("gold", BULK, "g" + i);
      weighted.offer("std", BULK, "s" + i);
    }

    Map<Character, Integer> served = new HashMap<>();
    for (int i = 0; i < 400; i++) {
      served.merge(weighted.poll().orElseThrow().charAt(0), 1, Integer::sum);
    }

    assertThat(served.get('g')).isBetween(299, 301);
    assertThat(served.get('s')).isBetween(99, 101);
  }

  @Test
  void shouldNotLetATenantThatRefillsAfterEachDispatchTakeMoreThanItsShare() {
    for (int i = 0; i < 2000; i++) {
      scheduler.offer("backlog", BULK, "x" + i);
    }
    int next = 0;
    scheduler.offer("eager", BULK, "e" + next++);
    int eager = 0;

    for (int i = 0; i < 1000; i++) {
      String item = scheduler.poll().orElseThrow();
      if (item.startsWith("e")) {
        eager++;
        scheduler.offer("eager", BULK, "e" + next++);
      }
    }

    assertThat(eager).isBetween(499, 501);
  }

  @Test
  void shouldKeepOrderWithinATenant() {
    for (int i = 0; i < 5; i++) {
      scheduler.offer("a", BULK, "a" + i);
    }

    assertThat(pollAll()).containsExactly("a0", "a1", "a2", "a3", "a4");
  }

  @Test
  void shouldRemoveQueuedItemsAnywhere() {
    scheduler.offer("a", BULK, "a1");
    scheduler.offer("a", BULK, "a2");
    scheduler.offer("a", BULK, "a3");
    scheduler.offer("b", BULK, "b1");

    assertThat(scheduler.remove("a1")).isTrue(); // head
    assertThat(scheduler.remove("a3")).isTrue(); // tail
    assertThat(scheduler.remove("zz")).isFalse();
    assertThat(scheduler.size("a")).isEqualTo(1);
    assertThat(scheduler.size()).isEqualTo(2);
    assertThat(scheduler.peek()).isPresent();
    assertThat(pollAll()).containsExactlyInAnyOrder("a2", "b1");
    assertThat(scheduler.poll()).isEmpty();
  }

  @Test
  void shouldRefuseDuplicatesAndOverflow() {
    FairScheduler<String> small = FairScheduler.withEqualWeights(2);

    assertThat(small.offer("a", BULK, "1")).isTrue();
    assertThat(small.offer("b", INTERACTIVE, "1")).isFalse();
    assertThat(small.offer("a", BULK, "2")).isTrue();
    assertThat(small.offer("a", BULK, "3")).isFalse();
    assertThat(small.size()).isEqualTo(2);
    assertThat(small.size("a")).isEqualTo(2);
  }

  @Test
  void shouldNotAccumulateStateForOneOffTenants() {
    for (int i = 0; i < 50_000; i++) {
      scheduler.offer("backlog", BULK, "x" + i);
    }
    for (int i = 0; i < 20_000; i++) {
      scheduler.offer("tenant-" + i, BULK, "once-" + i);
      scheduler.poll();
      scheduler.poll();
    }

    assertThat(scheduler.trackedTenants()).isLessThan(200);
  }

  @Test
  void shouldRejectBadWeightsNamingTheTenant() {
    assertThatThrownBy(() -> new FairScheduler<String>(Map.of("acme", 0.0), 1, 10))
        .hasMessage("weight of tenant 'acme' must be a positive number but was 0.0");
    assertThatThrownBy(() -> new FairScheduler<String>(Map.of(), -1, 10))
        .hasMessageContaining("defaultWeight");
    assertThatThrownBy(() -> new FairScheduler<String>(Map.of(), 1, 0))
        .hasMessageContaining("capacity");
  }

  private List<String> pollAll() {
    List<String> out = new ArrayList<>();
    while (!scheduler.isEmpty()) {
      out.add(scheduler.poll().orElseThrow());
    }
    return out;
  }
}
