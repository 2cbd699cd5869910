/**
 * A small Confluent-compatible schema registry client for Avro: {@link
 * io.editstream.registry.SchemaRegistryClient} (register, look up, fetch by id, latest), its REST
 * implementation {@link io.editstream.registry.RestSchemaRegistryClient}, an in-memory one for
 * topology tests, {@link io.editstream.registry.RegistryConfig} parsed from Confluent's setting
 * names, and the typed {@link io.editstream.registry.SchemaRegistryException}.
 */
package io.editstream.registry;
