/**
 * Real infrastructure for tests: one Kafka broker, one schema registry and one S3 server per test
 * JVM.
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
 *   <li>{@link io.editstream.testkit.S3Server#shared()}: {@code EDITSTREAM_S3_ENDPOINT}, else
 *       S3Proxy 2.6.0 (a real S3 REST server over a local directory) as a child process on
 *       127.0.0.1 (needs {@code -Deditstream.s3proxy.jar}, which the build passes to every test
 *       JVM); it can be stopped and started again on the same port with the same objects.
 *   <li>{@link io.editstream.testkit.RealInfra}: JUnit 5 extension that injects them as parameters;
 *       {@link io.editstream.testkit.TestTopics} gives unique topic, group, transactional and
 *       application ids.
 * </ul>
 *
 * <p>All are started lazily and stopped by JVM shutdown hooks. {@code EDITSTREAM_TEST_DOCKER=false}
 * skips Docker even where it runs. For quiet logs include {@code
 * io/editstream/testkit/logback-included.xml} in a module's {@code logback-test.xml}.
 */
package io.editstream.testkit;
