package io.editstream.demo;

/** The topics of one demo run: the processor's defaults under a run-unique prefix. */
record Topics(String prefix, String jobs, String results, String failures, String dlq) {
  static Topics withPrefix(String prefix) {
    return new Topics(
        prefix,
        prefix + "edit-jobs",
        prefix + "edit-results",
        prefix + "edit-failures",
        prefix + "edit-jobs-dlq");
  }
}
