package io.editstream.processor.validate;

import io.editstream.schema.AspectRatios;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.FailureCode;
import io.editstream.schema.InputImage;
import io.editstream.schema.Lanes;
import io.editstream.schema.OutputSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks an {@link EditJob} against {@link ValidationLimits} without any I/O, so it may run on a
 * Kafka Streams thread. It checks the shape of the job only; the image bytes themselves are sniffed
 * and measured later by the image loader.
 *
 * <p>Text fields (ids, instruction, steps) are also rejected when they contain an unpaired UTF-16
 * surrogate, the replacement character U+FFFD or a control character other than tab, line feed and
 * carriage return. Avro decodes invalid UTF-8 to U+FFFD, so U+FFFD is how invalid UTF-8 from a
 * producer shows here; a Java producer can also build strings with unpaired surrogates, which no
 * UTF-8 encoder can represent. Either way the text is not what its author meant, and sending it to
 * the model would bill for a garbled edit.
 *
 * <p>Thread-safe and stateless.
 */
public final class JobValidator {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
  private static final int MAX_ECHO_CHARS = 40;

  private final ValidationLimits limits;

  public JobValidator(ValidationLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /** The first problem of the job, in field order; empty when the job may be processed. */
  public Optional<Rejection> validate(EditJob job) {
    List<Rejection> all = validateAll(job);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /** Every problem of the job, in field order; empty when the job may be processed. */
  public List<Rejection> validateAll(EditJob job) {
    List<Rejection> out = new ArrayList<>();
    if (job == null) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, "job", "is missing"));
      return out;
    }
    checkId(job.getJobId(), "jobId", out);
    checkId(job.getTenant(), "tenant", out);
    checkImages(job.getImages(), out);
    checkText(job.getInstruction(), "instruction", out);
    checkSteps(job.getSteps(), out);
    checkOutput(job.getOutput(), out);
    checkModel(job.getModel(), out);
    checkLane(job.getAttributes(), out);
    return out;
  }

  /** The lane a job asks for ({@link Lanes#ATTRIBUTE}), when it asks one, must be one we know. */
  private static void checkLane(java.util.Map<String, String> attributes, List<Rejection> out) {
    String lane = attributes == null ? null : attributes.get(Lanes.ATTRIBUTE);
    if (lane != null && Lanes.parse(lane).isEmpty()) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              "attributes[" + Lanes.ATTRIBUTE + "]",
              echo(lane) + " is not a lane; use one of " + String.join(", ", Lanes.ALL)));
    }
  }

  private void checkId(String value, String field, List<Rejection> out) {
    if (value == null || value.isBlank()) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, field, "is missing or blank"));
    } else if (value.length() > limits.maxIdChars()) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              field,
              "is " + value.length() + " characters long, at most " + limits.maxIdChars()));
    } else {
      badCharacter(value).ifPresent(p -> out.add(Rejection.of(FailureCode.INVALID_JOB, field, p)));
    }
  }

  private void checkImages(List<InputImage> images, List<Rejection> out) {
    if (images == null || images.isEmpty()) {
      out.add(Rejection.of(FailureCode.NO_IMAGES, "images", "at least one image is required"));
      return;
    }
    if (images.size() > limits.maxImages()) {
      out.add(
          Rejection.of(
              FailureCode.TOO_MANY_IMAGES,
              "images",
              images.size() + " images given, at most " + limits.maxImages() + " allowed"));
      return;
    }
    long totalInline = 0;
    for (int i = 0; i < images.size(); i++) {
      totalInline += checkImage(images.get(i), "images[" + i + "]", out);
    }
    if (totalInline > limits.maxTotalInlineBytes()) {
      out.add(
          Rejection.of(
              FailureCode.IMAGE_TOO_LARGE,
              "images",
              "inline images total "
                  + totalInline
                  + " bytes, at most "
                  + limits.maxTotalInlineBytes()
                  + " allowed; send large images by uri"));
    }
  }

  /** Returns the inline byte count of the image (0 for a URI). */
  private long checkImage(InputImage image, String field, List<Rejection> out) {
    if (image == null) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, field, "is missing"));
      return 0;
    }
    checkMimeType(image.getMimeType(), field + ".mimeType", out);
    ByteBuffer data = image.getData();
    String uri = image.getUri();
    if (data != null && uri != null) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB, field, "exactly one of data or uri must be set, both are"));
    } else if (data == null && uri == null) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              field,
              "exactly one of data or uri must be set, neither is"));
    } else if (data != null) {
      checkData(data, field + ".data", out);
    } else {
      checkUri(uri, field + ".uri", out);
    }
    String sha256 = image.getSha256();
    if (sha256 != null && !SHA256_HEX.matcher(sha256).matches()) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              field + ".sha256",
              "must be 64 hexadecimal characters, was " + echo(sha256)));
    }
    return data == null ? 0 : data.remaining();
  }

  private void checkMimeType(String mimeType, String field, List<Rejection> out) {
    if (mimeType == null || mimeType.isBlank()) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, field, "is missing or blank"));
    } else if (!limits.acceptedMimeTypes().contains(mimeType.strip().toLowerCase(Locale.ROOT))) {
      out.add(
          Rejection.of(
              FailureCode.UNSUPPORTED_IMAGE_TYPE,
              field,
              echo(mimeType)
                  + " is not supported ("
                  + String.join(", ", sorted(limits.acceptedMimeTypes()))
                  + ")"));
    }
  }

  private void checkData(ByteBuffer data, String field, List<Rejection> out) {
    int size = data.remaining();
    if (size == 0) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, field, "is empty"));
    } else if (size > limits.maxInlineImageBytes()) {
      out.add(
          Rejection.of(
              FailureCode.IMAGE_TOO_LARGE,
              field,
              "is "
                  + size
                  + " bytes, at most "
                  + limits.maxInlineImageBytes()
                  + " allowed inline; send large images by uri"));
    }
  }

  private void checkUri(String value, String field, List<Rejection> out) {
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      // The reason and index only: the URI itself may carry a signed query string.
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              field,
              "is not a valid URI (" + e.getReason() + " at index " + e.getIndex() + ")"));
      return;
    }
    String scheme = uri.getScheme();
    if (scheme == null) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              field,
              "is not an absolute URI (expected "
                  + String.join(", ", sorted(limits.allowedUriSchemes()))
                  + ")"));
      return;
    }
    if (!limits.allowedUriSchemes().contains(scheme.toLowerCase(Locale.ROOT))) {
      out.add(
          Rejection.of(
              FailureCode.URI_NOT_ALLOWED,
              field,
              "scheme "
                  + echo(scheme)
                  + " is not allowed (enabled: "
                  + (limits.allowedUriSchemes().isEmpty()
                      ? "none"
                      : String.join(", ", sorted(limits.allowedUriSchemes())))
                  + ")"
                  + enabledBy(scheme.toLowerCase(Locale.ROOT))));
    }
  }

  /** Which processor setting switches a known scheme on, for the rejection message. */
  private static String enabledBy(String scheme) {
    return switch (scheme) {
      case "file" -> "; set input.file.root to a folder the processor may read";
      case "http", "https" -> "; list the image hosts in input.http.allow.hosts";
      case "s3" -> "; list the buckets in input.s3.allowed.buckets";
      default -> "";
    };
  }

  private void checkSteps(List<EditStep> steps, List<Rejection> out) {
    if (steps == null) {
      return;
    }
    if (steps.size() > limits.maxSteps()) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              "steps",
              steps.size() + " steps given, at most " + limits.maxSteps() + " allowed"));
      return;
    }
    for (int i = 0; i < steps.size(); i++) {
      EditStep step = steps.get(i);
      String field = "steps[" + i + "].instruction";
      checkText(step == null ? null : step.getInstruction(), field, out);
    }
  }

  private void checkText(String text, String field, List<Rejection> out) {
    if (text == null || text.isBlank()) {
      out.add(Rejection.of(FailureCode.INSTRUCTION_MISSING, field, "is missing or blank"));
      return;
    }
    int length = text.codePointCount(0, text.length());
    if (length > limits.maxInstructionChars()) {
      out.add(
          Rejection.of(
              FailureCode.INSTRUCTION_TOO_LONG,
              field,
              "is "
                  + length
                  + " characters long, at most "
                  + limits.maxInstructionChars()
                  + " allowed"));
      return;
    }
    badCharacter(text).ifPresent(p -> out.add(Rejection.of(FailureCode.INVALID_JOB, field, p)));
  }

  private void checkOutput(OutputSettings output, List<Rejection> out) {
    if (output == null) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, "output", "is missing"));
      return;
    }
    if (output.getFormat() == null) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, "output.format", "is missing"));
    }
    if (output.getSize() == null) {
      out.add(Rejection.of(FailureCode.INVALID_JOB, "output.size", "is missing"));
    }
    String ratio = output.getAspectRatio();
    if (ratio != null && !AspectRatios.isSupported(ratio)) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              "output.aspectRatio",
              echo(ratio) + " is not supported (" + String.join(", ", AspectRatios.ALL) + ")"));
    }
  }

  private void checkModel(String model, List<Rejection> out) {
    if (model == null) {
      return;
    }
    if (model.isBlank()) {
      out.add(
          Rejection.of(FailureCode.INVALID_JOB, "model", "is blank (use null for the default)"));
    } else if (limits.allowedModels() != null && !limits.allowedModels().contains(model)) {
      out.add(
          Rejection.of(
              FailureCode.INVALID_JOB,
              "model",
              echo(model)
                  + " is not allowed ("
                  + String.join(", ", sorted(limits.allowedModels()))
                  + ")"));
    }
  }

  /**
   * Describes the first character that is not valid text: an unpaired surrogate, U+FFFD (what
   * invalid UTF-8 decodes to) or a control character other than tab, LF and CR.
   */
  static Optional<String> badCharacter(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return Optional.of(unpaired(c, i));
      }
      if (Character.isLowSurrogate(c)) {
        return Optional.of(unpaired(c, i));
      }
      if (c == '\uFFFD') {
        return Optional.of(
            "contains U+FFFD at index "
                + i
                + " (the producer sent invalid UTF-8; send the text UTF-8 encoded)");
      }
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0x7F && c <= 0x9F)) {
        return Optional.of(
            String.format(
                Locale.ROOT, "contains control character U+%04X at index %d", (int) c, i));
      }
    }
    return Optional.empty();
  }

  private static String unpaired(char c, int index) {
    return String.format(
        Locale.ROOT,
        "contains an unpaired surrogate U+%04X at index %d (not valid Unicode)",
        (int) c,
        index);
  }

  /** A short, printable, quoted copy of a user value for a message. */
  private static String echo(String value) {
    StringBuilder sb = new StringBuilder("'");
    value
        .codePoints()
        .limit(MAX_ECHO_CHARS)
        .forEach(
            cp ->
                sb.appendCodePoint(
                    Character.isISOControl(cp) || Character.getType(cp) == Character.SURROGATE
                        ? '?'
                        : cp));
    if (value.codePointCount(0, value.length()) > MAX_ECHO_CHARS) {
      sb.append('…');
    }
    return sb.append('\'').toString();
  }

  private static List<String> sorted(Set<String> values) {
    return values.stream().sorted().toList();
  }
}
