package io.editstream.processor.cache;

import java.util.Objects;

/**
 * The answer of {@link ResultCache#getOrCompute}: the result and how this caller got it.
 *
 * @param result the cached or freshly computed result
 * @param source whether this caller made the call, shared another caller's call, or hit the cache
 */
public record CacheLookup(CachedResult result, Source source) {

  /** How a caller got its result. */
  public enum Source {
    /** The entry was already complete: no call. */
    HIT,
    /** Another caller's identical call was in flight; this caller shared it: no call of its own. */
    COALESCED,
    /** This caller made the call (a miss, or a bypass that started a fresh call). */
    CALLED
  }

  public CacheLookup {
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(source, "source");
  }

  /** True when no call was made for this caller: publish with {@code cacheHit = true}. */
  public boolean servedFromCache() {
    return source != Source.CALLED;
  }
}
