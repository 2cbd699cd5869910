/**
 * The processor's HTTP face for operators: {@code /health}, {@code /metrics} and {@code /jobs}
 * ("where is job X?", answered by any instance for the job wherever it lives).
 */
package io.editstream.processor.ops;
