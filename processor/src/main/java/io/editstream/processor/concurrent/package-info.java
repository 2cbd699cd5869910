/**
 * What the processor's asynchronous parts share: {@link
 * io.editstream.processor.concurrent.AsyncFailure#unwrap} finds the failure behind the wrappers
 * that futures add, so every part classifies the same cause the same way.
 */
package io.editstream.processor.concurrent;
