package io.editstream.processor.throttle;

import io.editstream.processor.image.ImageProbe;
import io.editstream.processor.image.ImageSniffer;
import io.editstream.schema.EditJob;
import io.editstream.schema.EditStep;
import io.editstream.schema.ImageSize;
import io.editstream.schema.InputImage;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * What a job takes from its quota pool, before the call: one request and one output image per model
 * turn (the instruction, then each follow-up step), and the input tokens estimated the way Gemini
 * counts them:
 *
 * <ul>
 *   <li>an image at most 384 px on both sides is 258 tokens, a larger one 258 per 768×768 tile;
 *       inline images are measured from their header (never decoded), images by URI are assumed to
 *       be 2×2 tiles (1,032 tokens) since their bytes are not read on the stream thread;
 *   <li>text is one token per 4 characters (at least 1);
 *   <li>a follow-up step re-sends the conversation: every earlier turn's text and output image
 *       (taken as a square of the requested size) count again.
 * </ul>
 *
 * The estimate is corrected from {@code usageMetadata.promptTokenCount} after the call, so an
 * over-estimate costs nothing for long; an under-estimate is charged as debt afterwards.
 */
public final class JobCost {
  static final int TOKENS_PER_TILE = 258;
  static final int UNKNOWN_IMAGE_TILES = 4;

  private JobCost() {}

  /** The job's cost, probing every inline image's header (not free: compute it once per job). */
  public static Cost of(EditJob job) {
    List<EditStep> steps = job.getSteps() == null ? List.of() : job.getSteps();
    int turns = 1 + steps.size();
    long inputImages = 0;
    for (InputImage image : job.getImages()) {
      inputImages += imageTokens(image);
    }
    long conversation = inputImages + textTokens(job.getInstruction());
    long total = conversation;
    long outputAsInput = outputTokensAsInput(job.getOutput().getSize());
    for (EditStep step : steps) {
      conversation += outputAsInput + textTokens(step.getInstruction());
      total += conversation;
    }
    return new Cost(turns, turns, total);
  }

  /**
   * Output tokens Gemini 3.1 Flash Image bills for one image of {@code size} (the emulator answers
   * with the same numbers): for the spend estimate before the call.
   */
  public static long outputImageTokens(ImageSize size) {
    return switch (size == null ? ImageSize.SIZE_1K : size) {
      case SIZE_512 -> 747;
      case SIZE_1K -> 1120;
      case SIZE_2K -> 1680;
      case SIZE_4K -> 2520;
    };
  }

  static long textTokens(CharSequence text) {
    if (text == null || text.length() == 0) {
      return 0;
    }
    return Math.max(1, (text.length() + 3) / 4);
  }

  static long tiles(long width, long height) {
    if (width <= 384 && height <= 384) {
      return 1;
    }
    return ((width + 767) / 768) * ((height + 767) / 768);
  }

  private static long imageTokens(InputImage image) {
    ByteBuffer data = image.getData();
    if (data == null) {
      return (long) TOKENS_PER_TILE * UNKNOWN_IMAGE_TILES;
    }
    ByteBuffer copy = data.duplicate();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    return ImageSniffer.sniff(bytes)
        .flatMap(type -> ImageProbe.dimensions(bytes, type))
        .map(d -> TOKENS_PER_TILE * tiles(d.width(), d.height()))
        .orElse((long) TOKENS_PER_TILE * UNKNOWN_IMAGE_TILES);
  }

  private static long outputTokensAsInput(ImageSize size) {
    long edge =
        switch (size == null ? ImageSize.SIZE_1K : size) {
          case SIZE_512 -> 512;
          case SIZE_1K -> 1024;
          case SIZE_2K -> 2048;
          case SIZE_4K -> 4096;
        };
    return TOKENS_PER_TILE * tiles(edge, edge);
  }
}
