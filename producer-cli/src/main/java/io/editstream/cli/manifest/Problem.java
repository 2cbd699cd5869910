package io.editstream.cli.manifest;

/**
 * Something wrong with one row (or input) that stops a submission.
 *
 * @param where where the bad input is, e.g. {@code line 7} or {@code argument 2}
 * @param field the bad field (column name), e.g. {@code images}
 * @param message what is wrong, for people
 */
public record Problem(String where, String field, String message) {

  public static Problem atLine(int line, String field, String message) {
    return new Problem("line " + line, field, message);
  }

  @Override
  public String toString() {
    return where + ": " + field + ": " + message;
  }
}
