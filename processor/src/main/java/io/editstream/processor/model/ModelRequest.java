package io.editstream.processor.model;

import io.editstream.schema.ImageSize;
import java.util.List;

/**
 * One edit for the model: input images (already loaded and checked), the instruction and optional
 * follow-up steps, which run as further turns of one conversation (or successive edits, where the
 * provider has no conversation).
 *
 * @param provider the provider the job asked for (job attribute {@code editstream.provider}), or
 *     null to let the provider router choose; single-provider clients ignore it
 * @param preferredProvider when {@code provider} is null: the provider whose quota pool admitted
 *     the call, tried first; the router may still fail over to the providers after it in its order.
 *     Null = the router's order from the start
 */
public record ModelRequest(
    String model,
    List<InputPart> images,
    String instruction,
    List<String> steps,
    ImageSize size,
    String aspectRatio,
    String provider,
    String preferredProvider) {

  /** The job attribute through which a job names its provider. */
  public static final String PROVIDER_ATTRIBUTE = "editstream.provider";

  public ModelRequest {
    images = List.copyOf(images);
    steps = List.copyOf(steps);
    if (provider != null && provider.isBlank()) {
      provider = null;
    }
    if (preferredProvider != null && preferredProvider.isBlank()) {
      preferredProvider = null;
    }
  }

  /** A request that names a provider (or none), without a preference from the quota gate. */
  public ModelRequest(
      String model,
      List<InputPart> images,
      String instruction,
      List<String> steps,
      ImageSize size,
      String aspectRatio,
      String provider) {
    this(model, images, instruction, steps, size, aspectRatio, provider, null);
  }

  /** A request without a provider preference. */
  public ModelRequest(
      String model,
      List<InputPart> images,
      String instruction,
      List<String> steps,
      ImageSize size,
      String aspectRatio) {
    this(model, images, instruction, steps, size, aspectRatio, null, null);
  }

  /** An input image as the model receives it. */
  public record InputPart(byte[] bytes, String mimeType) {}

  /** The model's imageConfig.imageSize for a size. */
  public static String imageSizeParameter(ImageSize size) {
    return switch (size) {
      case SIZE_512 -> "512";
      case SIZE_1K -> "1K";
      case SIZE_2K -> "2K";
      case SIZE_4K -> "4K";
    };
  }
}
