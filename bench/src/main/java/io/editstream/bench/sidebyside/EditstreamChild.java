package io.editstream.bench.sidebyside;

import io.editstream.processor.EditstreamProcessor;

/** Child JVM main: the production processor ({@code --config FILE}) plus the heap sampler. */
public final class EditstreamChild {
  private EditstreamChild() {}

  public static void main(String[] args) {
    HeapSampler.start();
    EditstreamProcessor.main(args);
  }
}
