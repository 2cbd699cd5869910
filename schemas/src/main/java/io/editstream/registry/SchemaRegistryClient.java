package io.editstream.registry;

import org.apache.avro.Schema;

/**
 * A Confluent-compatible schema registry, Avro only.
 *
 * <p>Callers may rely on: ids are cached forever once seen (they are immutable in the registry), so
 * repeated calls for the same subject and schema, or the same id, do not go to the network;
 * implementations are thread-safe; every failure is a {@link SchemaRegistryException} whose {@link
 * SchemaRegistryException#kind() kind} says what went wrong and whose message never contains
 * credentials.
 */
public interface SchemaRegistryClient {

  /**
   * Registers {@code schema} under {@code subject} (a no-op returning the existing id when it is
   * already there) and returns its global id. Fails with {@link
   * SchemaRegistryException.Kind#INCOMPATIBLE} when the subject's compatibility rule rejects it.
   */
  int register(String subject, Schema schema);

  /**
   * Returns the id of {@code schema} already registered under {@code subject}; fails with {@link
   * SchemaRegistryException.Kind#SCHEMA_NOT_FOUND} or {@link
   * SchemaRegistryException.Kind#SUBJECT_NOT_FOUND} when it is not.
   */
  int lookup(String subject, Schema schema);

  /**
   * Returns the schema with the global id {@code id}; fails with {@link
   * SchemaRegistryException.Kind#SCHEMA_NOT_FOUND} for an unknown id.
   */
  Schema schemaById(int id);

  /**
   * Returns the latest version registered under {@code subject}. Not cached: every call asks the
   * registry, so callers that need it per record should keep the answer.
   */
  RegisteredSchema latest(String subject);
}
