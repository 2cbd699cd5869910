package io.editstream.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that hands the JVM's shared {@link KafkaBroker} and {@link SchemaRegistry} to
 * constructors, lifecycle methods ({@code @BeforeAll}, {@code @BeforeEach}, ...) and test methods.
 * Each is started on first request only, so a test that needs only a broker never starts a
 * registry.
 *
 * <pre>{@code
 * @ExtendWith(RealInfra.class)
 * class MyIT {
 *   @Test
 *   void roundTrip(KafkaBroker kafka, SchemaRegistry registry) { ... }
 * }
 * }</pre>
 */
public final class RealInfra implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KafkaBroker.class || type == SchemaRegistry.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KafkaBroker.class ? KafkaBroker.shared() : SchemaRegistry.shared();
  }
}
