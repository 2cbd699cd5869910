package io.editstream.processor.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import com.google.common.net.InetAddresses;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {

  private final AddressPolicy strict = new AddressPolicy(FetchPolicy.defaults());

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:a00:1::1",
        "::10.0.0.1"
      })
  void shouldBlockNonPublicAddresses(String address) {
    assertThat(strict.whyBlocked(InetAddresses.forString(address))).as(address).isPresent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888"})
  void shouldAllowPublicAddresses(String address) {
    assertThat(strict.whyBlocked(InetAddresses.forString(address))).as(address).isEmpty();
  }

  @Test
  void shouldNameTheMetadataRange() {
    assertThat(strict.whyBlocked(InetAddresses.forString("169.254.169.254")))
        .hasValueSatisfying(
            reason -> assertThat(reason).contains("link-local").contains("metadata"));
  }

  @Test
  void shouldExemptOnlyTheConfiguredRanges() {
    AddressPolicy loopbackOnly =
        new AddressPolicy(FetchPolicy.defaults().withAllowedAddressRanges(List.of("127.0.0.1/32")));
    assertThat(loopbackOnly.whyBlocked(InetAddresses.forString("127.0.0.1"))).isEmpty();
    assertThat(loopbackOnly.whyBlocked(InetAddresses.forString("127.0.0.2"))).isPresent();
    assertThat(loopbackOnly.whyBlocked(InetAddresses.forString("10.0.0.1"))).isPresent();

    AddressPolicy all = new AddressPolicy(FetchPolicy.defaults().withAllowPrivateAddresses(true));
    assertThat(all.whyBlocked(InetAddresses.forString("169.254.169.254"))).isEmpty();
  }

  @Test
  void shouldRejectMalformedRangesAtConfigurationTime() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> FetchPolicy.defaults().withAllowedAddressRanges(List.of("10.0.0.0/33")))
        .withMessageContaining("10.0.0.0/33");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> FetchPolicy.defaults().withAllowedAddressRanges(List.of("intranet")))
        .withMessageContaining("intranet");
  }

  @Test
  void shouldMatchHostPatterns() {
    FetchPolicy policy =
        FetchPolicy.defaults()
            .withAllowedHosts(java.util.Set.of("images.example.com", "*.cdn.example"));
    assertThat(policy.isHostAllowed("IMAGES.example.com.")).isTrue();
    assertThat(policy.isHostAllowed("a.b.cdn.example")).isTrue();
    assertThat(policy.isHostAllowed("cdn.example")).isFalse();
    assertThat(policy.isHostAllowed("evilcdn.example")).isFalse();
    assertThat(policy.isHostAllowed("images.example.com.evil.org")).isFalse();
    assertThat(policy.enabledSchemes()).containsExactlyInAnyOrder("http", "https");
    assertThat(FetchPolicy.defaults().enabledSchemes()).isEmpty();
    assertThatIllegalArgumentException()
        .isThrownBy(() -> FetchPolicy.defaults().withAllowedHosts(java.util.Set.of("a*.com")));
  }
}
