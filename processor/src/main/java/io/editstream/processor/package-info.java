/**
 * The Editstream processor, the face an embedding application or the runnable jar uses.
 *
 * <p>Public face: {@link io.editstream.processor.EditstreamProcessor} (start it with a {@link
 * io.editstream.processor.config.ProcessorConfig}, close it to stop cleanly) and {@link
 * io.editstream.processor.Main} (the jar's entry point). The rest of this package is start-up
 * wiring, package-private: the blob stores, model providers and dispatchers built from the
 * settings, topic creation, the instance's state-directory slot, restore logging, and the fencer
 * that aborts the open transactions of instances that left the group.
 */
package io.editstream.processor;
