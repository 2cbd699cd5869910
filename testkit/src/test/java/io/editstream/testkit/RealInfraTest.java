package io.editstream.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RealInfra.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RealInfraTest {
  private final KafkaBroker fromConstructor;
  private SchemaRegistry fromBeforeAll;
  private KafkaBroker fromBeforeEach;

  RealInfraTest(KafkaBroker kafka) {
    this.fromConstructor = kafka;
  }

  @BeforeAll
  void beforeAll(SchemaRegistry registry) {
    fromBeforeAll = registry;
  }

  @BeforeEach
  void beforeEach(KafkaBroker kafka) {
    fromBeforeEach = kafka;
  }

  @Test
  void resolvesTheSharedInstancesEverywhere(KafkaBroker kafka, SchemaRegistry registry) {
    assertThat(kafka)
        .isSameAs(KafkaBroker.shared())
        .isSameAs(fromConstructor)
        .isSameAs(fromBeforeEach);
    assertThat(registry).isSameAs(SchemaRegistry.shared()).isSameAs(fromBeforeAll);
  }
}
