package io.editstream.serde;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Tells Avro 1.12 to trust the generated classes our serdes read into. Avro refuses to load any
 * class outside {@code org.apache.avro.SERIALIZABLE_PACKAGES}, and reads that property once, in a
 * static initializer, so setting it at run time is unreliable; instead we add a predicate to the
 * global validator that trusts exactly the named types of the reader schemas we were given.
 */
final class AvroClassTrust {

  private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();
  private static boolean installed;

  private AvroClassTrust() {}

  /** Trusts every record, enum and fixed type named in {@code schema}. */
  static void trustTypesOf(Schema schema) {
    collect(schema, TRUSTED);
    install();
  }

  /** Whether {@code className} was trusted through this class. */
  static boolean isTrusted(String className) {
    return TRUSTED.contains(className);
  }

  private static synchronized void install() {
    if (!installed) {
      ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(previous, clazz -> TRUSTED.contains(clazz.getName())));
      installed = true;
    }
  }

  private static void collect(Schema schema, Set<String> names) {
    switch (schema.getType()) {
      case RECORD -> {
        if (names.add(schema.getFullName())) {
          schema.getFields().forEach(field -> collect(field.schema(), names));
        }
      }
      case ENUM, FIXED -> names.add(schema.getFullName());
      case ARRAY -> collect(schema.getElementType(), names);
      case MAP -> collect(schema.getValueType(), names);
      case UNION -> schema.getTypes().forEach(branch -> collect(branch, names));
      default -> {
        // Primitive types load no classes.
      }
    }
  }
}
