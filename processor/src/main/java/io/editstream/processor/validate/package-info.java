/**
 * Pure, fast checks of an {@code EditJob}'s shape ({@link
 * io.editstream.processor.validate.JobValidator}), safe to run on a Kafka Streams thread; problems
 * are {@link io.editstream.processor.validate.Rejection} values naming the bad field.
 */
package io.editstream.processor.validate;
