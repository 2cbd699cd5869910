package io.editstream.registry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A schema registry held in memory, for tests that drive a topology without a registry process
 * (e.g. {@code TopologyTestDriver}). Same ids for the same schema across subjects, versions from 1,
 * the same error kinds as the REST client; optionally enforces BACKWARD compatibility.
 *
 * <p>Serdes configured with {@code schema.registry.url=mock://NAME} share {@link #scope(String)
 * scope(NAME)}, like Confluent's mock URLs.
 */
public final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

  private static final Map<String, InMemorySchemaRegistryClient> SCOPES = new ConcurrentHashMap<>();

  private final boolean backwardCompatible;
  private final Map<String, Integer> idsByCanonical = new HashMap<>();
  private final Map<Integer, Schema> schemasById = new HashMap<>();
  private final Map<String, List<Integer>> versionsBySubject = new HashMap<>();

  /** No compatibility rule (like Apicurio's default). */
  public InMemorySchemaRegistryClient() {
    this(false);
  }

  /** With {@code backwardCompatible}, a schema that cannot read the latest version is refused. */
  public InMemorySchemaRegistryClient(boolean backwardCompatible) {
    this.backwardCompatible = backwardCompatible;
  }

  /** The registry shared by everything configured with {@code mock://name}. */
  public static InMemorySchemaRegistryClient scope(String name) {
    return SCOPES.computeIfAbsent(name, ignored -> new InMemorySchemaRegistryClient());
  }

  /** Forgets the registry of {@code mock://name}, e.g. after a test. */
  public static void dropScope(String name) {
    SCOPES.remove(name);
  }

  @Override
  public synchronized int register(String subject, Schema schema) {
    String canonical = canonical(schema);
    List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
    Integer existing = idsByCanonical.get(canonical);
    if (existing != null && versions.contains(existing)) {
      return existing;
    }
    if (backwardCompatible && !versions.isEmpty()) {
      Schema latest = schemasById.get(versions.get(versions.size() - 1));
      var result = SchemaCompatibility.checkReaderWriterCompatibility(schema, latest).getResult();
      if (result.getCompatibility() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
        throw new SchemaRegistryException(
            SchemaRegistryException.Kind.INCOMPATIBLE,
            409,
            409,
            "Schema is incompatible with the latest version of subject '"
                + subject
                + "': "
                + result.getIncompatibilities());
      }
    }
    int id = existing != null ? existing : schemasById.size() + 1;
    idsByCanonical.put(canonical, id);
    schemasById.put(id, schema);
    versions.add(id);
    return id;
  }

  @Override
  public synchronized int lookup(String subject, Schema schema) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.SUBJECT_NOT_FOUND,
          404,
          40401,
          "Subject '" + subject + "' not found");
    }
    Integer id = idsByCanonical.get(canonical(schema));
    if (id == null || !versions.contains(id)) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.SCHEMA_NOT_FOUND,
          404,
          40403,
          "Schema not registered under subject '" + subject + "'");
    }
    return id;
  }

  @Override
  public synchronized Schema schemaById(int id) {
    Schema schema = schemasById.get(id);
    if (schema == null) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.SCHEMA_NOT_FOUND,
          404,
          40403,
          "Schema id " + id + " not found");
    }
    return schema;
  }

  @Override
  public synchronized RegisteredSchema latest(String subject) {
    List<Integer> versions = versionsBySubject.get(subject);
    if (versions == null || versions.isEmpty()) {
      throw new SchemaRegistryException(
          SchemaRegistryException.Kind.SUBJECT_NOT_FOUND,
          404,
          40401,
          "Subject '" + subject + "' not found");
    }
    int id = versions.get(versions.size() - 1);
    return new RegisteredSchema(subject, id, versions.size(), schemasById.get(id));
  }

  private static String canonical(Schema schema) {
    // Full JSON (with docs and defaults), as a registry with canonical hashing would compare.
    return schema.toString();
  }
}
