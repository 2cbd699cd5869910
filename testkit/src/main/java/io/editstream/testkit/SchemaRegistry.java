package io.editstream.testkit;

/** Placeholder, replaced by the real registry shortly. */
public final class SchemaRegistry {
  private SchemaRegistry() {}

  public static SchemaRegistry shared() {
    throw new UnsupportedOperationException("not yet");
  }

  public String url() {
    throw new UnsupportedOperationException("not yet");
  }
}
