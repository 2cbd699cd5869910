package io.editstream.cli.listen;

import static org.assertj.core.api.Assertions.assertThat;

import io.editstream.cli.submit.JobRecords;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OutputNameTest {
  private static final String HEX_ID = "3fa2b1c4d5e6f708192a3b4c5d6e7f80";

  @Test
  void shouldNameByPhotoVariantAndTheFirstDigitsOfADerivedId() {
    assertThat(OutputName.of(HEX_ID, "rocket.jpg", "de")).isEqualTo("rocket-de-3fa2b1c4");
    assertThat(OutputName.of(HEX_ID, "rocket.jpg", null)).isEqualTo("rocket-3fa2b1c4");
    assertThat(OutputName.of(HEX_ID, null, null)).isEqualTo("3fa2b1c4");
  }

  @Test
  void shouldReadSourceAndVariantFromTheAttributesSubmitSets() {
    Map<String, String> attributes =
        Map.of(JobRecords.SOURCE, "IMG_0042.HEIC", JobRecords.VARIANT, "red-de", "shop", "eu");
    assertThat(OutputName.of(HEX_ID, attributes)).isEqualTo("IMG_0042-red-de-3fa2b1c4");
    assertThat(OutputName.of("j1", Map.of())).isEqualTo("j1");
    assertThat(OutputName.of("j1", null)).isEqualTo("j1");
  }

  @Test
  void shouldKeepAReadableIdAsItIsAndNotRepeatWhatItStartsWith() {
    assertThat(OutputName.of("mug-white", "coffee.png", null)).isEqualTo("coffee-mug-white");
    assertThat(OutputName.of("coffee-rerun", "coffee.png", null)).isEqualTo("coffee-rerun");
  }

  @Test
  void shouldTellPhotosOfOneSkuAndLanguageVariantsApart() {
    Set<String> names = new HashSet<>();
    for (String photo : new String[] {"front.jpg", "back.jpg"}) {
      for (String locale : new String[] {"en", "de", "fr"}) {
        String id = Integer.toHexString((photo + locale).hashCode()) + "0".repeat(24);
        names.add(OutputName.of(id, photo, locale));
      }
    }
    assertThat(names).hasSize(6).anyMatch(n -> n.startsWith("back-fr-"));
  }

  @Test
  void shouldMakeUnsafeTextSafeAndBounded() {
    String name = OutputName.of(HEX_ID, "../../etc/pa ss?wd.png", "sch\u00f6n/ä");
    assertThat(name).matches("[A-Za-z0-9._-]+").doesNotStartWith(".").endsWith("-3fa2b1c4");
    assertThat(name).startsWith("pa_ss_wd-sch_n");

    String longName = OutputName.of(HEX_ID, "x".repeat(500) + ".png", "y".repeat(500));
    assertThat(longName.length()).isLessThanOrEqualTo(OutputName.MAX_LENGTH);
    assertThat(longName).endsWith("-3fa2b1c4");
  }

  @Test
  void shouldGiveIdsThatWouldCollideOnceCleanedAHashSuffix() {
    String a = OutputName.of("order/17", null, null);
    String b = OutputName.of("order:17", null, null);
    assertThat(a).startsWith("order_17-").isNotEqualTo(b);
    assertThat(a).matches("order_17-[0-9a-f]{8}");
    // Stable: the same job gets the same name on every run.
    assertThat(OutputName.of("order/17", null, null)).isEqualTo(a);
    assertThat(OutputName.of("/", null, null)).matches("[0-9a-f]{8}");
  }
}
