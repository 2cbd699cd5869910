/**
 * Kafka serializers, deserializers and Kafka Streams serdes for the Avro contract, byte-compatible
 * with Confluent's {@code KafkaAvroSerializer}/{@code KafkaAvroDeserializer} and configured with
 * the same setting names. Start with {@link io.editstream.serde.AvroSerdes}; failures are {@link
 * io.editstream.serde.SerdeException}s.
 */
package io.editstream.serde;
