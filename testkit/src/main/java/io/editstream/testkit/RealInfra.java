package io.editstream.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that hands the JVM's shared {@link KafkaBroker}, {@link SchemaRegistry} and
 * {@link S3Server} to constructors, lifecycle methods ({@code @BeforeAll}, {@code @BeforeEach},
 * ...) and test methods. Each is started on first request only, so a test that needs only a broker
 * never starts a registry.
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
    return type == KafkaBroker.class || type == SchemaRegistry.class || type == S3Server.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == KafkaBroker.class) {
      return KafkaBroker.shared();
    }
    return type == SchemaRegistry.class ? SchemaRegistry.shared() : S3Server.shared();
  }
}
