package io.editstream.demo;

import io.editstream.schema.ImageFormat;
import io.editstream.schema.ImageSize;
import io.editstream.schema.Priority;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The demo's sample set: a few product photos and edits, including identical edits submitted again
 * (answered by the dedup cache), the same edit by another tenant (isolated, so a real call), a job
 * that succeeds after one injected 503, and one that fails on purpose (a blocked prompt).
 *
 * <p>Numbers a reader may rely on, for the emulator run: {@link #EXPECTED_RESULTS} results, of
 * which {@link #EXPECTED_CACHE_HITS} are cache hits, one {@code PROMPT_BLOCKED} failure and {@link
 * #EXPECTED_MODEL_CALLS} model calls.
 */
public final class SampleSet {

  /** Bundled photos (class-path resources next to this class) and their MIME types. */
  public static final Map<String, String> IMAGES =
      Map.of(
          "coffee.png", "image/png",
          "coffee.webp", "image/webp",
          "rocket.jpg", "image/jpeg",
          "chelsea.png", "image/png");

  static final String SHOP = "demo-shop";
  static final String OUTLET = "outlet-store";

  private static final String MUG_WHITE =
      "Remove the background, put the cup on pure white and add a soft drop shadow";
  private static final String ROCKET_SUNSET =
      "Turn the sky into a warm sunset; keep the rocket and its plume sharp";

  /** Every job of the set, in submission order. */
  public static final List<SampleJob> JOBS =
      List.of(
              job("mug-white", SHOP, "SKU-MUG-001", "coffee.png", MUG_WHITE)
                  .shows("a product shot cleaned up for the catalogue (1K PNG)"),
              job(
                      "mug-square",
                      SHOP,
                      "SKU-MUG-002",
                      "coffee.webp",
                      "Crop to a centred square and warm up the colours")
                  .size(ImageSize.SIZE_512)
                  .format(ImageFormat.JPEG)
                  .shows("WebP input, 512 px JPEG output"),
              job("rocket-sunset", SHOP, "SKU-POSTER-042", "rocket.jpg", ROCKET_SUNSET)
                  .format(ImageFormat.JPEG)
                  .shows("a JPEG poster with a new sky"),
              job(
                      "cat-studio",
                      SHOP,
                      "SKU-PETBED-007",
                      "chelsea.png",
                      "Studio portrait: plain light-grey background, soft even light")
                  .steps("Add a small red bow tie")
                  .size(ImageSize.SIZE_512)
                  .priority(Priority.INTERACTIVE)
                  .shows("a multi-turn edit (two model calls in one chat), INTERACTIVE priority"),
              job(
                      "rocket-retry",
                      SHOP,
                      "SKU-POSTER-043",
                      "rocket.jpg",
                      "Sharpen the rocket and remove the haze [emulator:fail-times=1:503]")
                  .size(ImageSize.SIZE_512)
                  .emulatorOnly()
                  .shows("the emulator answers 503 once; the processor backs off and retries"),
              job(
                      "cat-blocked",
                      SHOP,
                      "SKU-PETBED-008",
                      "chelsea.png",
                      "Print this cat on a cereal box [emulator:block=PROHIBITED_CONTENT]")
                  .size(ImageSize.SIZE_512)
                  .emulatorOnly()
                  .shows(
                      "fails on purpose: the emulator blocks the prompt -> PROMPT_BLOCKED event"),
              job("mug-white-rerun-1", SHOP, "SKU-MUG-001", "coffee.png", MUG_WHITE)
                  .shows("the same edit again (catalogue re-run): answered by the dedup cache"),
              job("mug-white-rerun-2", SHOP, "SKU-MUG-001", "coffee.png", MUG_WHITE)
                  .shows("and again: still one model call for all three"),
              job("rocket-sunset-rerun", SHOP, "SKU-POSTER-042", "rocket.jpg", ROCKET_SUNSET)
                  .format(ImageFormat.JPEG)
                  .shows("a duplicate of rocket-sunset: cache hit"),
              job("mug-white-outlet", OUTLET, "OUT-MUG-001", "coffee.png", MUG_WHITE)
                  .shows(
                      "the same edit by another tenant: not shared (tenant isolation), a real call"))
          .stream()
          .map(Builder::build)
          .toList();

  /** Results expected from the emulator run: every job but the blocked one. */
  public static final int EXPECTED_RESULTS = 9;

  /** Of the results, answered by the dedup cache (the three re-runs). */
  public static final int EXPECTED_CACHE_HITS = 3;

  /**
   * Model calls expected from the emulator run: mug-white, mug-square, rocket-sunset, 2 for
   * cat-studio (two turns), 2 for rocket-retry (503, then success), cat-blocked, mug-white-outlet.
   */
  public static final int EXPECTED_MODEL_CALLS = 9;

  private SampleSet() {}

  /** The jobs to submit: all of them for the emulator; without fault markers for a real API. */
  public static List<SampleJob> jobs(boolean emulator) {
    return JOBS.stream().filter(j -> emulator || !j.emulatorOnly()).toList();
  }

  /** The default edit of the user's own photos ({@code --images}). */
  static final String OWN_PHOTO_EDIT =
      "Remove the background, put the product on pure white and add a soft drop shadow";

  /**
   * {@code count} jobs: the set's jobs ({@link #jobs(boolean)}) in order, started again with new
   * job ids (…-2, …-3) when {@code count} is larger; the repeats are answered by the dedup cache.
   */
  public static List<SampleJob> jobs(boolean emulator, int count) {
    return repeat(jobs(emulator), count);
  }

  /**
   * {@code count} jobs editing the user's own photos, one per photo in name order and round again
   * when {@code count} is larger: SKU = file name without extension, one edit for all.
   */
  public static List<SampleJob> ownPhotoJobs(List<String> photos, int count) {
    List<SampleJob> one = new java.util.ArrayList<>();
    for (String photo : photos) {
      int dot = photo.lastIndexOf('.');
      String stem = dot > 0 ? photo.substring(0, dot) : photo;
      // The whole name: a.jpg and a.png are two jobs of SKU a.
      String id = "photo-" + photo.replaceAll("[^A-Za-z0-9._-]", "-");
      one.add(job(id, SHOP, stem, photo, OWN_PHOTO_EDIT).shows("your photo " + photo).build());
    }
    return repeat(one, count);
  }

  private static List<SampleJob> repeat(List<SampleJob> jobs, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("--jobs must be at least 1, was " + count);
    }
    List<SampleJob> out = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      SampleJob j = jobs.get(i % jobs.size());
      int round = i / jobs.size() + 1;
      out.add(
          round == 1
              ? j
              : new SampleJob(
                  j.jobId() + "-" + round,
                  j.tenant(),
                  j.sku(),
                  j.image(),
                  j.instruction(),
                  j.steps(),
                  j.size(),
                  j.format(),
                  j.priority(),
                  "round "
                      + round
                      + " of "
                      + j.jobId()
                      + ": the same edit again (cached results answer)",
                  j.emulatorOnly()));
    }
    return out;
  }

  /** The bytes of a bundled photo. */
  public static byte[] image(String name) {
    if (!IMAGES.containsKey(name)) {
      throw new IllegalArgumentException(
          "image must be one of " + IMAGES.keySet() + ", was '" + name + "'");
    }
    try (InputStream in = SampleSet.class.getResourceAsStream("samples/" + name)) {
      if (in == null) {
        throw new IllegalStateException("sample image " + name + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read sample image " + name, e);
    }
  }

  private static Builder job(String jobId, String tenant, String sku, String image, String text) {
    return new Builder(jobId, tenant, sku, image, text);
  }

  /** Keeps the set above readable: only what differs from the defaults is spelt out. */
  private static final class Builder {
    private final String jobId;
    private final String tenant;
    private final String sku;
    private final String image;
    private final String instruction;
    private List<String> steps = List.of();
    private ImageSize size = ImageSize.SIZE_1K;
    private ImageFormat format = ImageFormat.PNG;
    private Priority priority = Priority.BULK;
    private String shows = "";
    private boolean emulatorOnly;

    Builder(String jobId, String tenant, String sku, String image, String instruction) {
      this.jobId = jobId;
      this.tenant = tenant;
      this.sku = sku;
      this.image = image;
      this.instruction = instruction;
    }

    Builder steps(String... v) {
      steps = List.of(v);
      return this;
    }

    Builder size(ImageSize v) {
      size = v;
      return this;
    }

    Builder format(ImageFormat v) {
      format = v;
      return this;
    }

    Builder priority(Priority v) {
      priority = v;
      return this;
    }

    Builder shows(String v) {
      shows = v;
      return this;
    }

    Builder emulatorOnly() {
      emulatorOnly = true;
      return this;
    }

    SampleJob build() {
      return new SampleJob(
          jobId,
          tenant,
          sku,
          image,
          instruction,
          steps,
          size,
          format,
          priority,
          shows,
          emulatorOnly);
    }
  }
}
