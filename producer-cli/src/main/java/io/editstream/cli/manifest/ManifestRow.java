package io.editstream.cli.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One row of a manifest: its line number in the file and its fields, as read (CSV fields are
 * strings; JSON Lines fields keep their JSON type). Blank fields are absent.
 *
 * @param line 1-based line of the file where the row starts
 * @param fields the row's non-blank fields by column name
 */
public record ManifestRow(int line, ObjectNode fields) {

  /** Separator of list values in a CSV cell ({@code images}, {@code steps}, fan-out columns). */
  public static final String LIST_SEPARATOR = "|";

  /** Whether the row has a non-blank value for {@code column}. */
  public boolean has(String column) {
    return fields.hasNonNull(column);
  }

  /**
   * The column as one string: strings as they are, numbers and booleans as their JSON text.
   *
   * @throws FieldException when the value is an array or object
   */
  public Optional<String> text(String column) {
    JsonNode node = fields.get(column);
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (node.isContainerNode()) {
      throw new FieldException(column, "must be a single value, not " + describe(node));
    }
    return Optional.of(node.asText());
  }

  /**
   * The column as a list: a JSON array of scalars, or a string split at {@code |} (blank items
   * dropped, items trimmed).
   *
   * @throws FieldException when the value or an element is an object, or an element is an array
   */
  public List<String> list(String column) {
    JsonNode node = fields.get(column);
    List<String> out = new ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (node.isObject()) {
      throw new FieldException(column, "must be a list, not a JSON object");
    }
    if (node.isArray()) {
      for (JsonNode item : node) {
        if (item.isContainerNode()) {
          throw new FieldException(
              column, "list items must be single values, not " + describe(item));
        }
        if (!item.isNull() && !item.asText().isBlank()) {
          out.add(item.asText().strip());
        }
      }
      return out;
    }
    for (String part : node.asText().split("\\|", -1)) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }

  /** Whether the column holds several values (a JSON array, or a string with {@code |}). */
  public boolean isList(String column) {
    JsonNode node = fields.get(column);
    return node != null
        && (node.isArray() || (node.isTextual() && node.asText().contains(LIST_SEPARATOR)));
  }

  /**
   * The column as string pairs: a JSON object, or text that is a JSON object or {@code k=v;k=v}.
   *
   * @throws FieldException naming what is malformed
   */
  public Map<String, String> map(String column) {
    JsonNode node = fields.get(column);
    Map<String, String> out = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (node.isTextual() && node.asText().strip().startsWith("{")) {
      try {
        node = Manifests.JSON.readTree(node.asText());
      } catch (java.io.IOException e) {
        throw new FieldException(column, "is not a valid JSON object: " + Manifests.brief(e));
      }
    }
    if (node.isObject()) {
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        if (e.getValue().isContainerNode()) {
          throw new FieldException(
              column,
              "value of \""
                  + e.getKey()
                  + "\" must be a single value, not "
                  + describe(e.getValue()));
        }
        out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
      }
      return out;
    }
    if (node.isContainerNode()) {
      throw new FieldException(column, "must be a JSON object or k=v;k=v, not " + describe(node));
    }
    for (String pair : node.asText().split(";")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new FieldException(
            column, "\"" + pair.strip() + "\" is not key=value (use k=v;k=v or a JSON object)");
      }
      out.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
    }
    return out;
  }

  /** Column names of the row, in file order. */
  public List<String> columns() {
    List<String> names = new ArrayList<>();
    fields.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String describe(JsonNode node) {
    return node.isArray()
        ? "a list"
        : node.isObject() ? "a JSON object" : node.getNodeType().name();
  }

  /** A field whose value has the wrong shape; names the column. */
  public static final class FieldException extends IllegalArgumentException {
    private final String column;

    public FieldException(String column, String message) {
      super(message);
      this.column = column;
    }

    public String column() {
      return column;
    }
  }
}
