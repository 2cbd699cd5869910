/**
 * One attempt of a job off the stream thread: {@link
 * io.editstream.processor.dispatch.ModelDispatcher} loads and checks the input images, lets the
 * dedup cache answer or coalesce the call, calls the model, encodes the image the job asked for and
 * stores it, and returns every error as a value for the topology to turn into an outcome. It
 * implements the topology's {@link io.editstream.processor.topology.Dispatcher}.
 */
package io.editstream.processor.dispatch;
