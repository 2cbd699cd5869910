/**
 * Real infrastructure for tests: one Kafka broker and one schema registry per test JVM.
 *
 * <ul>
 *   <li>{@link io.editstream.testkit.KafkaBroker#shared()}: {@code KAFKA_BOOTSTRAP_SERVERS}, else a
 *       Testcontainers {@code apache/kafka} container when Docker is available, else an in-JVM
 *       KRaft broker on 127.0.0.1 (transactions and Kafka Streams {@code exactly_once_v2} work on
 *       all of them).
 *   <li>{@link io.editstream.testkit.SchemaRegistry#shared()}: {@code SCHEMA_REGISTRY_URL}, else a
 *       Confluent Schema Registry container next to a container broker, else Apicurio Registry
 *       2.6.13.Final as a child process on 127.0.0.1 (needs {@code -Deditstream.apicurio.home},
 *       which the build passes to every test JVM).
 *   <li>{@link io.editstream.testkit.RealInfra}: JUnit 5 extension that injects both as parameters;
 *       {@link io.editstream.testkit.TestTopics} gives unique topic, group, transactional and
 *       application ids.
 * </ul>
 *
 * <p>Both are started lazily and stopped by JVM shutdown hooks. {@code
 * EDITSTREAM_TEST_DOCKER=false} skips Docker even where it runs. For quiet logs include {@code
 * io/editstream/testkit/logback-included.xml} in a module's {@code logback-test.xml}.
 */
package io.editstream.testkit;
