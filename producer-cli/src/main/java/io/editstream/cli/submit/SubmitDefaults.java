package io.editstream.cli.submit;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the options of {@code submit} say for every row; a manifest column overrides its option.
 *
 * @param tenant default tenant, or null
 * @param instruction default instruction template, or null
 * @param steps default follow-up step templates
 * @param aspectRatio default aspect ratio, or null to keep the input's
 * @param model model id, or null for the processor's default
 * @param attributes attributes added to every job
 * @param fanOut {@code --fan-out} variables and their values, in option order
 * @param idSalt mixed into derived job ids, or null
 * @param inlineMaxBytes images up to this size go inline
 * @param recordInlineBudget at most this many image bytes inline per record (the rest by claim
 *     check), to stay under Kafka's record size limit
 * @param claimCheck whether a blob folder was given, so large images can go by reference
 */
public record SubmitDefaults(
    String tenant,
    String instruction,
    List<String> steps,
    ImageFormat format,
    String aspectRatio,
    ImageSize size,
    Priority priority,
    String model,
    boolean bypassCache,
    Map<String, String> attributes,
    Map<String, List<String>> fanOut,
    String idSalt,
    long inlineMaxBytes,
    long recordInlineBudget,
    boolean claimCheck) {

  public static final long DEFAULT_INLINE_MAX_BYTES = 512 * 1024;

  /** Kafka's default max.request.size is 1 MiB; leave room for the rest of the record. */
  public static final long DEFAULT_RECORD_INLINE_BUDGET = 900 * 1024;

  public SubmitDefaults {
    steps = List.copyOf(steps);
    attributes = Map.copyOf(attributes);
    fanOut = new LinkedHashMap<>(fanOut);
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(priority, "priority");
  }

  /** PNG, 1K, BULK, inline up to 512 KiB, no claim check: for tests and as a base. */
  public static SubmitDefaults basic() {
    return new SubmitDefaults(
        null,
        null,
        List.of(),
        ImageFormat.PNG,
        null,
        ImageSize.SIZE_1K,
        Priority.BULK,
        null,
        false,
        Map.of(),
        Map.of(),
        null,
        DEFAULT_INLINE_MAX_BYTES,
        DEFAULT_RECORD_INLINE_BUDGET,
        false);
  }

  public SubmitDefaults withTenant(String value) {
    return new SubmitDefaults(
        value,
        instruction,
        steps,
        format,
        aspectRatio,
        size,
        priority,
        model,
        bypassCache,
        attributes,
        fanOut,
        idSalt,
        inlineMaxBytes,
        recordInlineBudget,
        claimCheck);
  }

  public SubmitDefaults withInstruction(String value) {
    return new SubmitDefaults(
        tenant,
        value,
        steps,
        format,
        aspectRatio,
        size,
        priority,
        model,
        bypassCache,
        attributes,
        fanOut,
        idSalt,
        inlineMaxBytes,
        recordInlineBudget,
        claimCheck);
  }

  public SubmitDefaults withFanOut(Map<String, List<String>> value) {
    return new SubmitDefaults(
        tenant,
        instruction,
        steps,
        format,
        aspectRatio,
        size,
        priority,
        model,
        bypassCache,
        attributes,
        value,
        idSalt,
        inlineMaxBytes,
        recordInlineBudget,
        claimCheck);
  }

  public SubmitDefaults withInline(long maxBytes, long recordBudget, boolean claimCheckAvailable) {
    return new SubmitDefaults(
        tenant,
        instruction,
        steps,
        format,
        aspectRatio,
        size,
        priority,
        model,
        bypassCache,
        attributes,
        fanOut,
        idSalt,
        maxBytes,
        recordBudget,
        claimCheckAvailable);
  }

  public SubmitDefaults withIdSalt(String value) {
    return new SubmitDefaults(
        tenant,
        instruction,
        steps,
        format,
        aspectRatio,
        size,
        priority,
        model,
        bypassCache,
        attributes,
        fanOut,
        value,
        inlineMaxBytes,
        recordInlineBudget,
        claimCheck);
  }
}
